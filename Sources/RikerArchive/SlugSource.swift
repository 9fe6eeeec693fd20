import Foundation
import RikerCore

/// One thing to put in a slug, found by walking the app directory.
struct SlugSourceEntry: Sendable {
    enum Kind: Equatable {
        case file(size: Int64)
        case directory
        case symlink(target: String)
    }

    /// Relative to the app directory, `/`-separated, no leading `./`.
    let path: String
    let kind: Kind
    /// Permission bits (`0o777` at most: no setuid, setgid or sticky bits in a slug).
    let permissions: mode_t
    /// Modification time on disk, in nanoseconds since the epoch. Not written to the slug (its
    /// entries have a fixed time); it only tells whether a file changed (`SlugTree.metadataDigest`).
    var modified: Int64 = 0

    /// The top-level name the entry is under (`.heroku` for `.heroku/python/lib/x.py`).
    var topLevelName: Substring { path.prefix { $0 != "/" } }
}

/// Walks an app directory into the sorted list of entries a slug holds.
enum SlugSource {
    /// Every directory, regular file and symlink under `root`, sorted by relative path (bytewise),
    /// without any `.git` and without what `exclude` returns true for (an excluded directory's
    /// contents are not visited). Sockets, fifos and device files are skipped.
    /// Throws for a symlink the agent would refuse to unpack (absolute or pointing outside).
    static func entries(of root: URL, exclude: (String) -> Bool) throws -> [SlugSourceEntry] {
        var result: [SlugSourceEntry] = []
        var info = stat()
        guard lstat(root.path, &info) == 0 else { throw RikerError.posix("cannot read app directory", path: root.path) }
        guard info.st_mode & FileType.mask == FileType.directory else { throw RikerError(.archive, "cannot pack \(root.path): not a directory") }
        try walk(directory: root.path, prefix: "", exclude: exclude, into: &result)
        result.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return result
    }

    private static func walk(directory: String, prefix: String, exclude: (String) -> Bool, into result: inout [SlugSourceEntry]) throws {
        for name in try DirectoryListing.names(in: directory) {
            if name == ".git" { continue }
            let relative = prefix + name
            if exclude(relative) { continue }
            let absolute = directory + "/" + name
            var info = stat()
            guard lstat(absolute, &info) == 0 else { throw RikerError.posix("cannot read", path: absolute) }
            let permissions = info.st_mode & 0o777
            let modified = Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec)
            switch info.st_mode & FileType.mask {
            case FileType.directory:
                result.append(SlugSourceEntry(path: relative, kind: .directory, permissions: permissions, modified: modified))
                try walk(directory: absolute, prefix: relative + "/", exclude: exclude, into: &result)
            case FileType.regular:
                result.append(SlugSourceEntry(path: relative, kind: .file(size: Int64(info.st_size)), permissions: permissions, modified: modified))
            case FileType.symlink:
                let target = try DirectoryListing.linkTarget(absolute)
                let parts = relative.split(separator: "/")
                if let refusal = SlugPath.symlinkEscape(linkPath: parts, target: target) {
                    throw RikerError(.archive, "cannot pack symlink '\(relative)': \(refusal.reason); the agent refuses such slugs, make it relative and inside the app")
                }
                result.append(SlugSourceEntry(path: relative, kind: .symlink(target: target), permissions: 0o777, modified: modified))
            default:
                continue
            }
        }
    }
}
