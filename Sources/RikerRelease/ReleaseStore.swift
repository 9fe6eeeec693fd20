import Foundation
import RikerCore

/// Metadata of one stored object.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var etag: String
    public var size: Int64
    public init(key: String, etag: String, size: Int64) { self.key = key; self.etag = etag; self.size = size }
}

/// An object's bytes and its entity tag (the token for compare-and-swap and cheap polling).
public struct StoredObject: Sendable, Equatable {
    public var data: Data
    public var etag: String
    public init(data: Data, etag: String) { self.data = data; self.etag = etag }
}

/// When a write may happen: always, only if the key is absent (claims), or only if the
/// stored entity tag still matches (compare-and-swap).
public enum WriteCondition: Sendable, Equatable {
    case always
    case ifAbsent
    case ifMatch(String)
}

/// The answer to a conditional read.
public enum ConditionalRead: Sendable, Equatable {
    case absent
    case unchanged
    case changed(StoredObject)
}

/// Where releases live: a key/object store with the S3 layout of DESIGN.md §5 and S3's
/// atomic primitives. Every decision that must be unique (version numbers, `current`,
/// the deploy lock) is made with a conditional `put`, never by reading then writing.
///
/// Implementations: `LocalReleaseStore` (a directory; the embedded default) and the S3 store.
/// Keys are relative (`apps/web/production/current`); `..` segments are refused.
public protocol ReleaseStore: Sendable {
    /// Where this store is, for messages and for agents (`file:///…` or `s3://bucket/prefix`).
    var url: String { get }

    /// The object at `key`, or nil if there is none.
    func get(_ key: String) async throws -> StoredObject?
    /// A read that costs almost nothing when the object still has entity tag `etag`.
    func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead
    /// Metadata of `key`, or nil if absent.
    func head(_ key: String) async throws -> ObjectInfo?
    /// Writes `data` under `condition`; returns the new entity tag.
    /// Throws `RikerError` with code `.preconditionFailed` when the condition does not hold.
    @discardableResult
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String
    /// Removes `key`; removing an absent key is not an error.
    func delete(_ key: String) async throws
    /// Every object whose key starts with `prefix`, in key order.
    func list(prefix: String) async throws -> [ObjectInfo]
    /// The names one level below `prefix` (which ends in `/`), like S3's delimiter listing.
    func listChildren(prefix: String) async throws -> [String]
    /// Stores a (possibly large) file, streamed from disk, with object tags.
    func upload(_ key: String, from file: URL, tags: [String: String]) async throws
    /// Fetches `key` into `file` (replaced), streamed to disk.
    func download(_ key: String, to file: URL) async throws
}

extension ReleaseStore {
    /// Rejects keys that could escape the store's prefix.
    public static func checkKey(_ key: String) throws {
        guard !key.isEmpty, !key.hasPrefix("/"),
              !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw RikerError(.invalidInput, "invalid store key '\(key.prefix(80))'")
        }
    }
}
