import Foundation
import RikerAWS
import RikerCore

/// The production store: the layout of DESIGN.md §5 under `s3://BUCKET/PREFIX`, with the same
/// guarantees as `LocalReleaseStore`, from S3's own atomic primitives:
/// - claims (`release.json`, the deploy lock) are `PUT` with `If-None-Match: *`;
/// - compare-and-swap (`current`, lock takeover) is `PUT` with `If-Match: ETAG`;
/// - entity tags are S3's ETags;
/// - artifacts are uploaded streamed from disk (multipart above the threshold) with their
///   SHA-256 recorded, and verified on download.
public struct S3ReleaseStore: ReleaseStore {
    public let client: S3Client
    public let bucket: String
    /// Ends in `/` unless empty.
    public let prefix: String

    public init(bucket: String, prefix: String, client: S3Client) {
        self.bucket = bucket
        self.client = client
        let trimmed = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.prefix = trimmed.isEmpty ? "" : trimmed + "/"
    }

    /// A store whose client is configured from the environment (AWS credential chain, region, endpoint).
    public static func fromEnvironment(bucket: String, prefix: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3ReleaseStore {
        S3ReleaseStore(bucket: bucket, prefix: prefix, client: try S3Client.fromEnvironment(environment))
    }

    public var url: String { "s3://\(bucket)/\(prefix)" }

    private func objectKey(_ key: String) throws -> String {
        try Self.checkKey(key)
        return prefix + key
    }

    public func get(_ key: String) async throws -> StoredObject? {
        switch try await client.getObject(bucket: bucket, key: try objectKey(key)) {
        case .object(let data, let etag): return StoredObject(data: data, etag: etag)
        case .notFound, .notModified: return nil
        }
    }

    public func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead {
        switch try await client.getObject(bucket: bucket, key: try objectKey(key), ifNoneMatch: etag) {
        case .object(let data, let newTag): return .changed(StoredObject(data: data, etag: newTag))
        case .notModified: return .unchanged
        case .notFound: return .absent
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        guard let h = try await client.headObject(bucket: bucket, key: try objectKey(key)) else { return nil }
        return ObjectInfo(key: key, etag: h.etag, size: h.size)
    }

    @discardableResult
    public func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        let full = try objectKey(key)
        let s3Condition: S3WriteCondition
        switch condition {
        case .always: s3Condition = .none
        case .ifAbsent: s3Condition = .ifAbsent
        case .ifMatch(let etag): s3Condition = .ifMatch(etag)
        }
        do {
            return try await client.putObject(bucket: bucket, key: full, body: .data(data), condition: s3Condition)
        } catch let e as RikerError where e.code == .preconditionFailed {
            throw RikerError(.preconditionFailed, "\(key): \(condition == .ifAbsent ? "already exists" : "changed since it was read") in \(url)")
        }
    }

    public func delete(_ key: String) async throws {
        try await client.deleteObject(bucket: bucket, key: try objectKey(key))
    }

    public func list(prefix listPrefix: String) async throws -> [ObjectInfo] {
        let listing = try await client.listObjects(bucket: bucket, prefix: prefix + listPrefix)
        return listing.objects.map { ObjectInfo(key: String($0.key.dropFirst(prefix.count)), etag: $0.etag, size: $0.size) }
            .sorted { $0.key < $1.key }
    }

    public func listChildren(prefix listPrefix: String) async throws -> [String] {
        let base = prefix + (listPrefix.isEmpty || listPrefix.hasSuffix("/") ? listPrefix : listPrefix + "/")
        let listing = try await client.listObjects(bucket: bucket, prefix: base, delimiter: "/")
        var names = Set(listing.commonPrefixes.map { String($0.dropFirst(base.count).dropLast()) })
        for o in listing.objects { names.insert(String(o.key.dropFirst(base.count))) }
        return names.filter { !$0.isEmpty }.sorted()
    }

    public func upload(_ key: String, from file: URL, tags: [String: String]) async throws {
        try await client.uploadFile(bucket: bucket, key: try objectKey(key), file: file, tags: tags)
    }

    public func download(_ key: String, to file: URL) async throws {
        do { try await client.downloadFile(bucket: bucket, key: try objectKey(key), to: file) } catch let e as RikerError where e.code == .notFound {
            throw RikerError(.notFound, "\(key) is not in the store \(url)")
        }
    }

    /// The object tags stored with an artifact.
    public func tags(_ key: String) async throws -> [String: String] {
        try await client.getObjectTagging(bucket: bucket, key: try objectKey(key))
    }
}
