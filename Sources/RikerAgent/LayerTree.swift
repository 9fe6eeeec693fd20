import Foundation
import RikerCore

/// What a walk of an unpacked layer found: how many entries, and a digest of each one's path,
/// type, mode, owner, group, size, modification time and link target. Written when a layer is
/// unpacked, checked by every later walk of it: writing to a file moves its time, so a cached
/// layer that was changed, grown, truncated, re-permissioned or re-owned no longer matches.
struct LayerState: Equatable, Sendable, CustomStringConvertible {
    var count: Int
    var digest: String

    var description: String { "\(count) \(digest)" }

    init(count: Int, digest: String) { self.count = count; self.digest = digest }

    /// Parses `description`; nil for anything else.
    init?(parsing text: String) {
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let count = Int(parts[0]), parts[1].count == 64 else { return nil }
        self.init(count: count, digest: String(parts[1]))
    }
}

/// Hashes entries into a `LayerState`, in the order a `LayerTree` walk visits them.
struct LayerStateHasher {
    // The records, hashed at the end (a layer of 10,000 files gives about 1.5 MB of them).
    private var records = Data()
    private var count = 0

    mutating func add(_ entry: LayerTree.Entry) {
        let st = entry.info
        // Directories' times are left out: unpacking sets them last, after their contents.
        let time = entry.isDirectory ? "" : "\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        let size = entry.isRegular ? st.st_size : 0
        let record = "\(entry.relative)\u{0}\(String(st.st_mode, radix: 8))\u{0}\(st.st_uid):\(st.st_gid)\u{0}\(size)\u{0}\(time)\u{0}\(entry.linkTarget ?? "")\n"
        records.append(contentsOf: record.utf8)
        count += 1
    }

    func finish() -> LayerState {
        LayerState(count: count, digest: ContentDigest.of(records).hex)
    }
}

/// Walks an unpacked layer: every entry below `root`, parents before children, names sorted
/// bytewise, symlinks not followed.
enum LayerTree {
    struct Entry {
        /// Relative to the root, `/`-separated.
        let relative: String
        let absolute: String
        let info: stat
        /// A symlink's target.
        let linkTarget: String?

        var type: mode_t { info.st_mode & S_IFMT }
        var isDirectory: Bool { type == S_IFDIR }
        var isRegular: Bool { type == S_IFREG }
        var isSymlink: Bool { type == S_IFLNK }
    }

    static func walk(_ root: URL, _ visit: (Entry) throws -> Void) throws {
        try walk(directory: root.path, prefix: "", visit)
    }

    /// The state of the tree at `root` as a walk finds it now.
    static func state(of root: URL) throws -> LayerState {
        var hasher = LayerStateHasher()
        try walk(root) { hasher.add($0) }
        return hasher.finish()
    }

    private static func walk(directory: String, prefix: String, _ visit: (Entry) throws -> Void) throws {
        for name in try DirectoryListing.names(in: directory).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let absolute = directory + "/" + name
            var info = stat()
            guard lstat(absolute, &info) == 0 else { throw RikerError.posix("cannot read", path: absolute) }
            let entry = Entry(relative: prefix + name, absolute: absolute, info: info,
                              linkTarget: info.st_mode & S_IFMT == S_IFLNK ? try DirectoryListing.linkTarget(absolute) : nil)
            try visit(entry)
            if entry.isDirectory { try walk(directory: absolute, prefix: entry.relative + "/", visit) }
        }
    }
}
