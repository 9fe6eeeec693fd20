import Foundation
import RikerRelease

/// Counts the store and cloud API requests one deploy makes (kept in its deploy record, and
/// read by bench/). Agents' own polling is not counted: it is theirs, not the deploy's.
public final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    public init() {}

    func add(_ kind: String) { lock.withLock { counts[kind, default: 0] += 1 } }

    public var snapshot: [String: Int] { lock.withLock { counts } }
}

/// A store that counts every request it passes on (`store.get`, `store.put`, …).
struct CountingStore: ReleaseStore {
    let inner: any ReleaseStore
    let counter: RequestCounter

    var url: String { inner.url }
    func get(_ key: String) async throws -> StoredObject? { counter.add("store.get"); return try await inner.get(key) }
    func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead { counter.add("store.get"); return try await inner.get(key, ifNoneMatch: etag) }
    func head(_ key: String) async throws -> ObjectInfo? { counter.add("store.head"); return try await inner.head(key) }
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String { counter.add("store.put"); return try await inner.put(key, data, condition: condition) }
    func delete(_ key: String) async throws { counter.add("store.delete"); try await inner.delete(key) }
    func list(prefix: String) async throws -> [ObjectInfo] { counter.add("store.list"); return try await inner.list(prefix: prefix) }
    func listChildren(prefix: String) async throws -> [String] { counter.add("store.list"); return try await inner.listChildren(prefix: prefix) }
    func upload(_ key: String, from file: URL, tags: [String: String]) async throws { counter.add("store.upload"); try await inner.upload(key, from: file, tags: tags) }
    func download(_ key: String, to file: URL) async throws { counter.add("store.download"); try await inner.download(key, to: file) }
}

/// A fleet that counts every cloud API call it passes on.
struct CountingFleet: Fleet {
    let inner: any Fleet
    let counter: RequestCounter

    var name: String { inner.name }
    var targetGroups: [String] { inner.targetGroups }
    func instances() async throws -> [FleetInstance] { counter.add("autoscaling.DescribeAutoScalingGroups"); return try await inner.instances() }
    func deregister(_ ids: [String], from targetGroup: String) async throws { counter.add("elbv2.DeregisterTargets"); try await inner.deregister(ids, from: targetGroup) }
    func register(_ ids: [String], in targetGroup: String) async throws { counter.add("elbv2.RegisterTargets"); try await inner.register(ids, in: targetGroup) }
    func targetHealth(_ ids: [String], in targetGroup: String) async throws -> [String: String] { counter.add("elbv2.DescribeTargetHealth"); return try await inner.targetHealth(ids, in: targetGroup) }
    func drainSeconds(targetGroup: String) async throws -> Double? { counter.add("elbv2.DescribeTargetGroupAttributes"); return try await inner.drainSeconds(targetGroup: targetGroup) }
    func desiredWritten(_ ids: [String]) async { await inner.desiredWritten(ids) }
    func address(_ statuses: [InstanceStatus]) -> String { inner.address(statuses) }
}
