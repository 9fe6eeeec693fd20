import Foundation
import RikerCore

/// ENV_DIR of `bin/compile`: one file per config var, named after the var, holding its value.
enum EnvDir {
    /// Writes `config` into a new directory `dir` (mode 0700, files 0600).
    static func write(_ config: [String: String], to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (key, value) in config {
            guard EnvFile.isValidKey(key) else {
                throw RikerError(.buildFailed, "config var name '\(key.prefix(40))' cannot be passed to a buildpack")
            }
            try AtomicFile.write(Data(value.utf8), to: dir.appendingPathComponent(key), mode: 0o600)
        }
    }
}
