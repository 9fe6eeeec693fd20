import ArgumentParser
import Foundation
import RikerCore
import RikerReceive

/// `riker keys:sync`: rewrites `authorized_keys` from `keys.json`, so every forced command runs
/// this riker binary with this root (after an install moved the binary; `doctor` suggests it).
struct KeysSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: Verb.keysSync.name,
        abstract: "Rewrite authorized_keys so its forced commands run this riker with this root.", shouldDisplay: false)
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reporting {
            let ring = KeyRing(paths: global.paths, rikerBinary: Installation.rikerBinary.path)
            let keys = try FileLock.withLock(global.paths.rootLock) {
                let keys = try ring.load()
                try ring.writeAuthorizedKeys(keys)
                return keys
            }
            print("Wrote \(keys.count) key\(keys.count == 1 ? "" : "s") to \(global.paths.authorizedKeys.path), running \(Installation.rikerBinary.path)")
        }
    }
}
