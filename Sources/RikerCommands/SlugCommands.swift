import ArgumentParser
import Foundation
import RikerArchive
import RikerCore

/// `riker slug:pack DIR FILE`: packs a directory as a slug (for operators and bench/).
struct SlugPack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.slugPack.name, abstract: "Pack a directory into a slug.", shouldDisplay: false)
    @Argument var directory: String
    @Argument var file: String
    @Flag(help: "gzip instead of zstd.") var gzip = false
    @Option(name: .customLong("max-mb"), help: "Refuse a directory whose files add up to more MiB than this.") var maxMB: Int?

    func run() async throws {
        try await reporting {
            let limits = SlugLimits(maxBytes: maxMB.map { Int64($0) << 20 }, limitName: "--max-mb \(maxMB ?? 0)",
                                    raiseHint: "", deadline: nil, deadlineName: "")
            let slug = try SlugArchive.pack(directory: URL(fileURLWithPath: directory), to: URL(fileURLWithPath: file),
                                            compression: gzip ? .gzip : .zstd, limits: limits)
            print("\(slug.sha256)  \(slug.size)")
        }
    }
}

/// `riker slug:unpack FILE DIR`: unpacks a slug with the agent's safety checks.
struct SlugUnpack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.slugUnpack.name, abstract: "Unpack a slug into a new directory.", shouldDisplay: false)
    @Argument var file: String
    @Argument var directory: String
    @Option(name: .customLong("max-mb"), help: "Refuse a slug whose entries add up to more MiB than this (default 500).")
    var maxMB: Int = Int(SlugLimits.defaultMaxBytes >> 20)

    func run() async throws {
        try await reporting {
            try SlugArchive.unpack(URL(fileURLWithPath: file), into: URL(fileURLWithPath: directory), maxBytes: Int64(maxMB) << 20)
        }
    }
}
