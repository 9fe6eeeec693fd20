import Crypto
import Foundation
import RikerCore

/// The entries of a built app directory, walked once: what a slug, or one layer of it, holds.
///
/// A layered slug splits one tree by top-level name (`.heroku` in a dependencies layer, the
/// rest in the app layer): `scan` walks and checks the size cap once for the whole slug,
/// `subset` picks a layer's entries, `SlugArchive.pack(_:to:)` writes one.
public struct SlugTree: Sendable {
    /// The directory the entries are relative to.
    public let root: URL
    let entries: [SlugSourceEntry]

    init(root: URL, entries: [SlugSourceEntry]) {
        self.root = root
        self.entries = entries
    }

    /// Walks `directory` as `SlugArchive.pack` does (sorted, no `.git`, nothing `exclude` names)
    /// and checks what its files add up to against `limits` (the whole slug's cap), before
    /// any file is read. Throws as `SlugArchive.pack` does.
    public static func scan(_ directory: URL, exclude: (String) -> Bool = { _ in false }, limits: SlugLimits = .none) throws -> SlugTree {
        let entries = try SlugSource.entries(of: directory, exclude: exclude)
        try limits.checkSize(of: entries)
        try limits.checkDeadline()
        return SlugTree(root: directory, entries: entries)
    }

    /// The names at the top of the tree (files and directories).
    public var topLevelNames: Set<String> { Set(entries.map { String($0.topLevelName) }) }

    /// The entries under the top-level `names` (`keep: true`) or under every other name (`keep: false`).
    public func subset(topLevel names: Set<String>, keep: Bool) -> SlugTree {
        SlugTree(root: root, entries: entries.filter { names.contains(String($0.topLevelName)) == keep })
    }

    /// How many entries (files, directories, symlinks).
    public var count: Int { entries.count }

    /// What the files add up to (apparent sizes).
    public var unpackedSize: Int64 {
        entries.reduce(0) { total, entry in
            if case .file(let size) = entry.kind { return total + size }
            return total
        }
    }

    /// A hex SHA-256 of what the walk saw of every entry: path, type, permissions, size, link
    /// target and modification time (nanoseconds). Reading no file, it changes whenever an
    /// entry is added, removed, resized, re-permissioned or written to (writing moves the
    /// time). What it cannot see is content rewritten with its old size and time put back:
    /// callers pair it with a token from whoever restored the files (see `SlugLayerPlan`).
    public func metadataDigest() -> String {
        var hasher = SHA256()
        for entry in entries {
            let kind: String
            switch entry.kind {
            case .directory: kind = "d"
            case .file(let size): kind = "f\(size)"
            case .symlink(let target): kind = "l" + target
            }
            // Directories' own times change when pyc files come and go beside restored files: not counted.
            let time = entry.kind == .directory ? 0 : entry.modified
            hasher.update(data: Data("\(entry.path)\u{0}\(kind)\u{0}\(String(entry.permissions, radix: 8))\u{0}\(time)\n".utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
