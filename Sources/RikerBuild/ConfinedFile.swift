import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads small files that the build user (or the pushed app) controls, as Riker (often root),
/// without following a link out of the directory that holds them: a `Procfile` symlinked to
/// `/etc/shadow` must not end up in the pusher's output.
enum ConfinedFile {
    /// The text of `name` inside `dir`, or nil if there is no such file. A symlink is followed
    /// only when it resolves inside `dir`; anything else that is not a regular file, or is
    /// larger than `limit` bytes, fails the build with a message naming the file.
    static func read(_ name: String, in dir: URL, limit: Int = 1 << 20) throws -> String? {
        let path = dir.appendingPathComponent(name).path
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw RikerError.posix("cannot read", path: path)
        }
        var target = path
        if st.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil), let base = realpath(dir.path, nil) else {
                throw RikerError(.buildFailed, "\(name) is a symlink that points nowhere")
            }
            defer { free(resolved); free(base) }
            target = String(cString: resolved)
            guard target.hasPrefix(String(cString: base) + "/") else {
                throw RikerError(.buildFailed, "\(name) is a symlink that points outside the app")
            }
        }
        let fd = open(target, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw RikerError.posix("cannot read", path: path) }
        defer { close(fd) }
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw RikerError(.buildFailed, "\(name) must be a regular file")
        }
        guard Int(st.st_size) <= limit else { throw RikerError(.buildFailed, "\(name) is larger than \(limit) bytes") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw RikerError.posix("cannot read", path: path) }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > limit { throw RikerError(.buildFailed, "\(name) is larger than \(limit) bytes") }
        }
        return String(decoding: data, as: UTF8.self)
    }
}
