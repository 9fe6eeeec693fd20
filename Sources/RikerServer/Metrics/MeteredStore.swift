import Foundation
import RikerCore
import RikerRelease

/// A store that counts every request it passes on, and those that fail, in `ServerMetrics`
/// (`riker_store_requests_total{operation}`, `riker_store_errors_total{operation}`). A read
/// of an absent key and a conditional write that lost are answers, not failures.
public struct MeteredStore: ReleaseStore {
    public let inner: any ReleaseStore
    public let metrics: ServerMetrics

    public init(_ inner: any ReleaseStore, metrics: ServerMetrics) { self.inner = inner; self.metrics = metrics }

    public var url: String { inner.url }

    private func counted<T>(_ operation: String, _ work: () async throws -> T) async throws -> T {
        do {
            let result = try await work()
            metrics.storeRequest(operation, failed: false)
            return result
        } catch let e as RikerError where e.code == .preconditionFailed {
            // A conditional write that lost (a claim, a compare-and-swap) is an answer too.
            metrics.storeRequest(operation, failed: false)
            throw e
        } catch {
            metrics.storeRequest(operation, failed: true)
            throw error
        }
    }

    public func get(_ key: String) async throws -> StoredObject? { try await counted("get") { try await inner.get(key) } }
    public func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead {
        try await counted("get") { try await inner.get(key, ifNoneMatch: etag) }
    }
    public func head(_ key: String) async throws -> ObjectInfo? { try await counted("head") { try await inner.head(key) } }
    public func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        try await counted("put") { try await inner.put(key, data, condition: condition) }
    }
    public func delete(_ key: String) async throws { try await counted("delete") { try await inner.delete(key) } }
    public func list(prefix: String) async throws -> [ObjectInfo] { try await counted("list") { try await inner.list(prefix: prefix) } }
    public func listChildren(prefix: String) async throws -> [String] { try await counted("list") { try await inner.listChildren(prefix: prefix) } }
    public func upload(_ key: String, from file: URL, tags: [String: String]) async throws {
        try await counted("upload") { try await inner.upload(key, from: file, tags: tags) }
    }
    public func download(_ key: String, to file: URL) async throws { try await counted("download") { try await inner.download(key, to: file) } }
}
