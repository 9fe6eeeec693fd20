import Foundation
import RikerCore
import RikerRelease

/// Puts a release dir together from cached layers (`LayerCache`) without unpacking anything:
/// directories and symlinks are made anew, the files of dependencies layers are hard links to
/// the sealed cached ones (read-only to the app; a copy where a link cannot be made), and the
/// files of the app layer are copies, the app's own to change as before. Everything made is
/// given to `owner`; times are the slug's, as unpacking would leave them.
///
/// Each layer is walked once, its state hashed on the way and compared with the state it was
/// cached in: a layer that changed since throws `Changed` and the caller fetches it again.
struct ReleaseAssembler {
    /// Who the release dir belongs to (nil: the agent's own user).
    let owner: AppUser?

    /// A cached layer's files are not what they were when it was unpacked.
    struct Changed: Error {
        let digest: ContentDigest
    }

    /// Assembles `layers` into `dir` (which must not exist). Throws `Changed`, or `.deployFailed`
    /// when two layers hold the same path, or `.io`.
    func assemble(_ layers: [LayerCache.Cached], into dir: URL) throws {
        guard mkdir(dir.path, 0o700) == 0 else { throw RikerError.posix("cannot create release dir", path: dir.path) }
        try give(dir.path)
        var directories: [(path: String, info: stat)] = []
        for cached in layers {
            var hasher = LayerStateHasher()
            let share = cached.layer.role == .dependencies
            try LayerTree.walk(cached.tree) { entry in
                hasher.add(entry)
                let target = dir.path + "/" + entry.relative
                if entry.isDirectory {
                    var existing = stat()
                    if lstat(target, &existing) == 0 {
                        guard existing.st_mode & S_IFMT == S_IFDIR else { throw overlap(entry.relative) }
                        return
                    }
                    guard mkdir(target, 0o700) == 0 else { throw RikerError.posix("cannot create", path: target) }
                    try give(target)
                    directories.append((target, entry.info))
                } else if entry.isSymlink {
                    guard symlink(entry.linkTarget ?? "", target) == 0 else {
                        throw errno == EEXIST ? overlap(entry.relative) : RikerError.posix("cannot create symlink", path: target)
                    }
                    try give(target)
                    Self.setTimes(target, entry.info, flags: AT_SYMLINK_NOFOLLOW)
                } else if entry.isRegular {
                    if share {
                        if link(entry.absolute, target) == 0 { return }
                        if errno == EEXIST { throw overlap(entry.relative) }
                    }
                    try Self.copy(entry, to: target)
                    try give(target)
                }
            }
            guard hasher.finish() == cached.state else { throw Changed(digest: cached.layer.digest) }
        }
        // Directory modes and times last, deepest first: making entries moves a directory's time,
        // and a read-only directory would have refused them.
        for (path, info) in directories.reversed() {
            guard chmod(path, info.st_mode & 0o7777) == 0 else { throw RikerError.posix("cannot set the mode of", path: path) }
            Self.setTimes(path, info, flags: 0)
        }
    }

    private func overlap(_ path: String) -> RikerError {
        RikerError(.deployFailed, "two layers of the slug hold '\(path)': the slug is malformed, rebuild it")
    }

    /// Gives a new entry to the owner (symlinks themselves, not what they point to).
    private func give(_ path: String) throws {
        guard let owner, geteuid() == 0 else { return }
        guard lchown(path, owner.uid, owner.gid) == 0 else { throw RikerError.posix("cannot give \(owner) ownership of", path: path) }
    }

    /// Copies a regular file's bytes, mode and time.
    static func copy(_ entry: LayerTree.Entry, to target: String) throws {
        let source = open(entry.absolute, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard source >= 0 else { throw RikerError.posix("cannot read", path: entry.absolute) }
        defer { close(source) }
        let mode = entry.info.st_mode & 0o7777
        let out = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw RikerError.posix("cannot create", path: target) }
        defer { close(out) }
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RikerError.posix("cannot read", path: entry.absolute)
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(out, $0.baseAddress! + written, n - written) }
                if w < 0 {
                    if errno == EINTR { continue }
                    throw RikerError.posix("cannot write", path: target)
                }
                written += w
            }
        }
        guard fchmod(out, mode) == 0 else { throw RikerError.posix("cannot set the mode of", path: target) }
        var times = [entry.info.st_atim, entry.info.st_mtim]
        futimens(out, &times)
    }

    private static func setTimes(_ path: String, _ info: stat, flags: Int32) {
        var times = [info.st_atim, info.st_mtim]
        utimensat(AT_FDCWD, path, &times, flags)
    }
}
