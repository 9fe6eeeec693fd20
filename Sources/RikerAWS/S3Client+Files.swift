import Crypto
import Foundation
import RikerCore
import RikerHTTP

extension S3Client {
    /// The metadata key under which uploads record their content's SHA-256 (hex).
    public static let sha256MetadataKey = "sha256"

    /// Uploads a file, streamed from disk: one PUT up to the multipart threshold, multipart
    /// above it. The file's SHA-256 is recorded as `x-amz-meta-sha256` so downloads can verify it.
    /// A failed multipart upload is aborted, so no object and no orphan parts remain.
    public func uploadFile(bucket: String, key: String, file: URL, tags: [String: String] = [:], metadata: [String: String] = [:],
                           condition: S3WriteCondition = .none) async throws {
        let size = try Self.fileSize(file)
        let digests = try await Self.hashFile(file, size: size, partSize: size > configuration.multipartThreshold && configuration.signPartPayloads ? configuration.partSize : nil)
        var meta = metadata
        meta[Self.sha256MetadataKey] = digests.whole
        if size <= configuration.multipartThreshold {
            try await putObject(bucket: bucket, key: key, body: .file(file, offset: 0, length: size), payloadHash: digests.whole,
                                condition: condition, tags: tags, metadata: meta)
        } else {
            try await multipartUpload(bucket: bucket, key: key, file: file, size: size, partHashes: digests.parts, tags: tags, metadata: meta)
        }
    }

    /// Downloads an object into `file` (replaced only once the whole object arrived and, when a
    /// SHA-256 is recorded in its metadata, matched it). Throws `.notFound` if there is no such object.
    public func downloadFile(bucket: String, key: String, to file: URL) async throws {
        let dir = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(file.lastPathComponent).part-\(UUID().uuidString.prefix(8))")
        defer { unlink(tmp.path) }
        let hasher = HasherBox()
        let call = Call(method: "GET", bucket: bucket, key: key, large: true)
        let answer = try await send(call, sink: {
            hasher.reset()
            return .file(tmp, observe: { hasher.update($0) })
        })
        guard answer.response.isSuccess else { throw failure(call, answer) }
        let got = hasher.hex()
        if let expected = answer.response.headers["x-amz-meta-\(Self.sha256MetadataKey)"], expected.lowercased() != got {
            throw RikerError(.store, "\(call.what): downloaded content has SHA-256 \(got) but \(expected) was recorded at upload; the object or the transfer is corrupt")
        }
        guard rename(tmp.path, file.path) == 0 else { throw RikerError.posix("cannot move the download to", path: file.path) }
    }

    static func fileSize(_ file: URL) throws -> Int64 {
        var st = stat()
        guard stat(file.path, &st) == 0 else { throw RikerError.posix("cannot read", path: file.path) }
        return Int64(st.st_size)
    }

    /// One sequential read of `file`: the SHA-256 of the whole, and of each part of `partSize` if given.
    static func hashFile(_ file: URL, size: Int64, partSize: Int64?) async throws -> (whole: String, parts: [String]) {
        try await withCheckedThrowingContinuation { cont in
            Thread {
                cont.resume(with: Result { try hashFileBlocking(file, size: size, partSize: partSize) })
            }.start()
        }
    }

    private static func hashFileBlocking(_ file: URL, size: Int64, partSize: Int64?) throws -> (whole: String, parts: [String]) {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RikerError.posix("cannot open", path: file.path) }
        defer { close(fd) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var whole = SHA256()
        var part = SHA256()
        var parts: [String] = []
        var inPart: Int64 = 0
        var total: Int64 = 0
        while true {
            var want = chunk
            if let p = partSize { want = Int(min(Int64(chunk), p - inPart)) }
            let n = read(fd, buffer.baseAddress, want)
            if n < 0 { if errno == EINTR { continue }; throw RikerError.posix("cannot read", path: file.path) }
            if n == 0 { break }
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            whole.update(bufferPointer: slice)
            total += Int64(n)
            if let p = partSize {
                part.update(bufferPointer: slice)
                inPart += Int64(n)
                if inPart == p { parts.append(SigV4Signer.hex(part.finalize())); part = SHA256(); inPart = 0 }
            }
        }
        if partSize != nil && inPart > 0 { parts.append(SigV4Signer.hex(part.finalize())) }
        guard total == size else { throw RikerError(.io, "\(file.path) changed size while it was being read (\(size) → \(total) bytes)") }
        return (SigV4Signer.hex(whole.finalize()), parts)
    }
}

/// A SHA-256 fed from libcurl's transfer thread and read after the transfer ends.
final class HasherBox: @unchecked Sendable {
    private var hasher = SHA256()
    private let lock = NSLock()
    func reset() { lock.lock(); hasher = SHA256(); lock.unlock() }
    func update(_ chunk: UnsafeRawBufferPointer) { lock.lock(); hasher.update(bufferPointer: chunk); lock.unlock() }
    func hex() -> String { lock.lock(); defer { lock.unlock() }; return SigV4Signer.hex(hasher.finalize()) }
}
