import Foundation
import RikerCore

/// Reads the same store objects again and again cheaply: after the first read, each read is a
/// conditional GET that costs a 304 (S3) or a stat (local) while the object is unchanged.
/// The agent watches `desired` and `current` with one; the deployer watches agents' `status`.
public actor StoreWatcher {
    /// What a read found.
    public struct Snapshot: Sendable {
        public var data: Data
        public var etag: String
        /// True when this read saw bytes the previous read of the key had not.
        public var changed: Bool
    }

    public let store: any ReleaseStore
    private var cache: [String: StoredObject] = [:]

    public init(store: any ReleaseStore) { self.store = store }

    /// The object at `key` now, or nil if it is absent.
    public func read(_ key: String) async throws -> Snapshot? {
        guard let known = cache[key] else {
            guard let obj = try await store.get(key) else { return nil }
            cache[key] = obj
            return Snapshot(data: obj.data, etag: obj.etag, changed: true)
        }
        switch try await store.get(key, ifNoneMatch: known.etag) {
        case .unchanged: return Snapshot(data: known.data, etag: known.etag, changed: false)
        case .absent: cache[key] = nil; return nil
        case .changed(let obj): cache[key] = obj; return Snapshot(data: obj.data, etag: obj.etag, changed: true)
        }
    }

    /// The object at `key` decoded as JSON, or nil if it is absent.
    public func read<T: Decodable>(_ key: String, as type: T.Type, what: String) async throws -> T? {
        guard let snap = try await read(key) else { return nil }
        return try JSONCoding.decode(type, from: snap.data, what: what)
    }
}
