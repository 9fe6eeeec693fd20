import Foundation

/// Who a written file belongs to.
public struct FileOwner: Sendable, Equatable {
    public var uid: uid_t
    public var gid: gid_t
    public init(uid: uid_t, gid: gid_t) { self.uid = uid; self.gid = gid }
}

/// Small file helpers with the guarantees the store and key ring need.
public enum AtomicFile {
    /// Writes `data` to a temp file beside `url`, fsyncs it, and renames it over `url`:
    /// readers see the old or the new content, never a mix.
    /// With `owner`, the file has that owner before it appears under its name, so a reader who
    /// is that owner never meets it unreadable (root writing into another user's store).
    public static func write(_ data: Data, to url: URL, mode: mode_t = 0o600, owner: FileOwner? = nil) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = try writeTemp(data, in: dir, mode: mode, owner: owner)
        guard rename(tmp.path, url.path) == 0 else {
            let err = errno
            unlink(tmp.path)
            throw RikerError.posix("cannot replace", path: url.path, errno: err)
        }
    }

    /// Writes `data` to `url` only if nothing is there yet (link(2) of a complete temp file, so a
    /// reader never sees a partial file). Returns false if `url` already existed.
    public static func createIfAbsent(_ data: Data, at url: URL, mode: mode_t = 0o600, owner: FileOwner? = nil) throws -> Bool {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = try writeTemp(data, in: dir, mode: mode, owner: owner)
        defer { unlink(tmp.path) }
        if link(tmp.path, url.path) == 0 { return true }
        if errno == EEXIST { return false }
        throw RikerError.posix("cannot create", path: url.path)
    }

    /// Reads a whole file, or nil if it does not exist.
    /// "Does not exist" is decided by open(2)'s own errno, not by a second look: a file created
    /// between a failed read and a later existence check must not turn into an error.
    public static func read(_ url: URL) throws -> Data? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw RikerError.posix("cannot read", path: url.path)
        }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw RikerError.posix("cannot read", path: url.path) }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    private static func writeTemp(_ data: Data, in dir: URL, mode: mode_t, owner: FileOwner?) throws -> URL {
        var template = Array(dir.appendingPathComponent(".tmp-XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw RikerError.posix("cannot create a temp file in", path: dir.path) }
        let path = String(cString: template)
        defer { close(fd) }
        let ok = data.withUnsafeBytes { writeAll(fd, $0) }
        guard ok, fchmod(fd, mode) == 0, owner.map({ fchown(fd, $0.uid, $0.gid) == 0 }) ?? true, fsync(fd) == 0 else {
            let err = errno
            unlink(path)
            throw RikerError.posix("cannot write", path: path, errno: err)
        }
        return URL(fileURLWithPath: path)
    }
}

/// An advisory lock on a file (flock(2)), released when the value is closed or the process dies.
public final class FileLock {
    private var fd: Int32

    /// Blocks until the exclusive lock on `url` is held (the file is created if needed).
    public init(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RikerError.posix("cannot open lock", path: url.path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let err = errno
            close(fd)
            throw RikerError.posix("cannot lock", path: url.path, errno: err)
        }
    }

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock only if nobody holds it; nil if it is held elsewhere.
    public static func tryLock(_ url: URL) throws -> FileLock? {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RikerError.posix("cannot open lock", path: url.path) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return FileLock(fd: fd) }
        close(fd)
        return nil
    }

    /// Runs `body` while holding the lock on `url`.
    public static func withLock<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(url)
        defer { lock.unlock() }
        return try body()
    }

    public func unlock() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    deinit { unlock() }
}
