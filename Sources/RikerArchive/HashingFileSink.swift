import Crypto
import Foundation
import RikerCore

/// Where a slug's compressed bytes go: a file descriptor, hashed (SHA-256) and counted as
/// they are written, so packing never reads the slug back.
final class HashingFileSink {
    let fd: Int32
    let path: String
    private(set) var hasher = SHA256()
    private(set) var byteCount: Int64 = 0
    /// The first write failure, reported by the packer (libarchive only sees -1).
    private(set) var failure: RikerError?

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Writes all of `buffer`, retrying short writes; on failure records why and returns false.
    func write(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = RikerError.posix("cannot write slug", path: path)
                return false
            }
            offset += n
        }
        hasher.update(bufferPointer: buffer)
        byteCount += Int64(buffer.count)
        return true
    }

    /// The hex SHA-256 of everything written.
    func hexDigest() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// libarchive's write callback: `clientData` is an unretained `HashingFileSink`.
    static let archiveWriteCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> Int = {
        _, clientData, buffer, length in
        guard let clientData else { return -1 }
        let sink = Unmanaged<HashingFileSink>.fromOpaque(clientData).takeUnretainedValue()
        if length == 0 { return 0 }
        guard let buffer else { return -1 }
        return sink.write(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : -1
    }
}
