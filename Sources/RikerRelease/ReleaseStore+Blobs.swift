import Crypto
import Foundation
import RikerCore

/// What pushing a set of blobs did.
public struct BlobPushSummary: Sendable, Equatable {
    /// Blobs that were uploaded, and their bytes.
    public var uploaded: Int = 0
    public var uploadedBytes: Int64 = 0
    /// Blobs the store already had (nothing was sent for them).
    public var present: Int = 0
    public var presentBytes: Int64 = 0
    public init() {}
}

/// Content-addressed blobs (image layers, configs, manifests) under `apps/APP/blobs/sha256/HEX`.
///
/// A blob is uploaded only when the store does not have it (a HEAD first), and only after its
/// file's SHA-256 has been checked against its name; a download is checked the same way before
/// it is kept. So a blob in the store, or in a local cache, is always what its name says.
extension ReleaseStore {
    /// Uploads the blobs `digests` of the OCI image layout `layout` (files `blobs/sha256/HEX`)
    /// that the store lacks, in the order given (a manifest goes last, after what it names).
    /// Throws `.io` when a local file does not match its digest (nothing of it is uploaded), or
    /// the store's error.
    public func pushBlobs(app: String, _ digests: [ContentDigest], from layout: URL, tags: [String: String] = [:]) async throws -> BlobPushSummary {
        var summary = BlobPushSummary()
        var seen = Set<ContentDigest>()
        for digest in digests where seen.insert(digest).inserted {
            let key = StoreLayout.blob(app, digest)
            let file = Self.blobFile(digest, in: layout)
            if let info = try await head(key) {
                summary.present += 1
                summary.presentBytes += info.size
                continue
            }
            let (got, size) = try FileDigest.sha256(of: file)
            guard got == digest.hex else {
                throw RikerError(.io, "\(file.path) has SHA-256 \(got), not \(digest.hex): not uploading a corrupt blob; rebuild to replace it")
            }
            try await upload(key, from: file, tags: tags)
            summary.uploaded += 1
            summary.uploadedBytes += size
        }
        return summary
    }

    /// Downloads blob `digest` of `app` into `file` and checks its SHA-256. On a mismatch the
    /// file is removed and `.deployFailed` is thrown, naming the blob.
    public func fetchBlob(app: String, _ digest: ContentDigest, to file: URL) async throws {
        let key = StoreLayout.blob(app, digest)
        try await download(key, to: file)
        let (got, _) = try FileDigest.sha256(of: file)
        guard got == digest.hex else {
            try? FileManager.default.removeItem(at: file)
            throw RikerError(.deployFailed, "blob \(key) in \(url) has SHA-256 \(got), not \(digest.hex): refusing to use it")
        }
    }

    /// The bytes of a small blob (a manifest or config), checked against its digest.
    public func blobData(app: String, _ digest: ContentDigest) async throws -> Data {
        let key = StoreLayout.blob(app, digest)
        guard let obj = try await get(key) else { throw RikerError(.notFound, "blob \(key) is not in the store \(url)") }
        let got = SHA256.hash(data: obj.data).map { String(format: "%02x", $0) }.joined()
        guard got == digest.hex else {
            throw RikerError(.deployFailed, "blob \(key) in \(url) has SHA-256 \(got), not \(digest.hex): refusing to use it")
        }
        return obj.data
    }

    /// Where blob `digest` sits in an OCI image layout.
    public static func blobFile(_ digest: ContentDigest, in layout: URL) -> URL {
        layout.appendingPathComponent("blobs/sha256").appendingPathComponent(digest.hex)
    }
}

