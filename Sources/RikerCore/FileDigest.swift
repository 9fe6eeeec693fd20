import Crypto
import Foundation

/// Streaming digests of files, a 1 MiB buffer at a time (slugs, image blobs, layers).
public enum FileDigest {
    /// The hex SHA-256 of `file` and its size. Throws `.io` naming the file when it cannot be read.
    public static func sha256(of file: URL) throws -> (hex: String, size: Int64) {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RikerError.posix("cannot read", path: file.path) }
        defer { close(fd) }
        var hasher = SHA256()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw RikerError.posix("cannot read", path: file.path)
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            size += Int64(n)
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }
}
