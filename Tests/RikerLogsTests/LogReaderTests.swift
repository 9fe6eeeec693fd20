import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerLogs

/// Collects what `follow` delivers, across tasks.
final class Delivered: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [LogLine] = []
    private var _batches = 0
    var lines: [LogLine] { lock.withLock { _lines } }
    var batches: Int { lock.withLock { _batches } }
    func add(_ lines: [LogLine]) { lock.withLock { _lines += lines; _batches += 1 } }
}

@Suite struct LogReaderTests {
    /// Two instances whose lines interleave in time, each shipped in several chunks.
    private func twoInstances(_ store: any ReleaseStore, start: Int64) async throws {
        let a = LogShipper(store: store, app: "shop", env: "production", instance: "i-a")
        let b = LogShipper(store: store, app: "shop", env: "production", instance: "i-b")
        for round in 0..<3 {
            let t = start + Int64(round) * 1000
            a.receive(appLines(["a\(round)-web"], instance: "i-a", start: t))
            a.receive(appLines(["a\(round)-worker"], instance: "i-a", process: "worker.1", start: t + 300))
            b.receive(appLines(["b\(round)-web"], instance: "i-b", start: t + 100))
            b.receive([LogLine.riker("b\(round)-event", instance: "i-b", time: LogTimestamp(millis: t + 500))])
            #expect(await a.flush())
            #expect(await b.flush())
        }
    }

    @Test(arguments: LogStoreKind.allCases)
    func linesOfAllInstancesMergeInTimeOrder(kind: LogStoreKind) async throws {
        let (store, cleanup) = try await kind.make(); defer { cleanup() }
        try await twoInstances(store, start: LogTimestamp.now().millis)
        let reader = LogReader(store: store, app: "shop", env: "production")

        let all = try await reader.recent(LogQuery(lines: 100)).map(\.text)
        #expect(all == (0..<3).flatMap { ["a\($0)-web", "b\($0)-web", "a\($0)-worker", "b\($0)-event"] })
        #expect(try await reader.recent(LogQuery(lines: 5)).map(\.text) == ["b1-event", "a2-web", "b2-web", "a2-worker", "b2-event"])
        #expect(try await reader.recent(LogQuery(lines: 100, process: "web")).map(\.text) == ["a0-web", "b0-web", "a1-web", "b1-web", "a2-web", "b2-web"])
        #expect(try await reader.recent(LogQuery(lines: 100, process: "worker.1")).map(\.text) == ["a0-worker", "a1-worker", "a2-worker"])
        #expect(try await reader.recent(LogQuery(lines: 100, process: "agent")).map(\.text) == ["b0-event", "b1-event", "b2-event"])
        #expect(try await reader.recent(LogQuery(lines: 2, instance: "i-a")).map(\.text) == ["a2-web", "a2-worker"])
        #expect(try await reader.recent(LogQuery(lines: 100, instance: "i-nope")).isEmpty)
        #expect(try await LogReader(store: store, app: "shop", env: "staging").recent(LogQuery()).isEmpty)
    }

    @Test func lastLinesReadOnlyTheNewestChunks() async throws {
        let (local, cleanup) = try await LogStoreKind.local.make(); defer { cleanup() }
        let store = CountingStore(local)
        let shipper = LogShipper(store: local, app: "shop", env: "production", instance: "i-a")
        let start = LogTimestamp.now().millis
        for chunk in 0..<20 {
            shipper.receive(appLines((0..<10).map { "c\(chunk) l\($0)" }, instance: "i-a", start: start + Int64(chunk) * 1000))
            #expect(await shipper.flush())
        }
        let lines = try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery(lines: 15))
        #expect(lines.map(\.text) == (5..<10).map { "c18 l\($0)" } + (0..<10).map { "c19 l\($0)" })
        #expect(store.gets == 2, "two chunks hold the last 15 lines")
    }

    @Test(arguments: LogStoreKind.allCases)
    func followDeliversNewLinesOfEveryInstanceInOrder(kind: LogStoreKind) async throws {
        let (store, cleanup) = try await kind.make(); defer { cleanup() }
        let start = LogTimestamp.now().millis
        try await twoInstances(store, start: start)
        let reader = LogReader(store: store, app: "shop", env: "production")
        let delivered = Delivered()
        let follow = Task {
            try await reader.follow(LogQuery(lines: 2), pollInterval: 0.05) { delivered.add($0) }
        }
        #expect(await eventually { delivered.lines.count == 2 })
        #expect(delivered.lines.map(\.text) == ["a2-worker", "b2-event"])

        let a = LogShipper(store: store, app: "shop", env: "production", instance: "i-a")
        let b = LogShipper(store: store, app: "shop", env: "production", instance: "i-b")
        b.receive(appLines(["b new 1", "b new 2"], instance: "i-b", start: start + 10_000, step: 20))
        a.receive(appLines(["a new"], instance: "i-a", start: start + 10_010))
        #expect(await a.flush())
        #expect(await b.flush())
        #expect(await eventually { delivered.lines.count == 5 })
        let fresh = delivered.lines.dropFirst(2).map(\.text)
        // Shipped in one poll they come merged; across polls, in the order they were shipped.
        #expect(fresh == ["b new 1", "a new", "b new 2"] || fresh == ["a new", "b new 1", "b new 2"])
        follow.cancel()
        try await follow.value
        #expect(delivered.lines.count == 5, "nothing is delivered twice")
    }

    @Test func followWithZeroLinesStartsAtTheEnd() async throws {
        let (store, cleanup) = try await LogStoreKind.local.make(); defer { cleanup() }
        let start = LogTimestamp.now().millis
        try await twoInstances(store, start: start)
        let delivered = Delivered()
        let follow = Task {
            try await LogReader(store: store, app: "shop", env: "production").follow(LogQuery(lines: 0, process: "web"), pollInterval: 0.05) { delivered.add($0) }
        }
        // The first (empty) delivery says the follower has listed what is there; then ship:
        // only the new web line may come.
        #expect(await eventually { delivered.batches == 1 })
        #expect(delivered.lines.isEmpty)
        let a = LogShipper(store: store, app: "shop", env: "production", instance: "i-a")
        a.receive(appLines(["new web"], instance: "i-a", start: start + 10_000) + appLines(["new worker"], instance: "i-a", process: "worker.1", start: start + 10_001))
        #expect(await a.flush())
        #expect(await eventually { delivered.lines.count == 1 })
        follow.cancel()
        try await follow.value
        #expect(delivered.lines.map(\.text) == ["new web"])
    }
}

/// Counts the reads a reader makes, over a real store.
final class CountingStore: ReleaseStore, @unchecked Sendable {
    let inner: any ReleaseStore
    private let lock = NSLock()
    private var _gets = 0
    var gets: Int { lock.withLock { _gets } }
    init(_ inner: any ReleaseStore) { self.inner = inner }
    var url: String { inner.url }
    func get(_ key: String) async throws -> StoredObject? { lock.withLock { _gets += 1 }; return try await inner.get(key) }
    func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead { try await inner.get(key, ifNoneMatch: etag) }
    func head(_ key: String) async throws -> ObjectInfo? { try await inner.head(key) }
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String { try await inner.put(key, data, condition: condition) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func listChildren(prefix: String) async throws -> [String] { try await inner.listChildren(prefix: prefix) }
    func upload(_ key: String, from file: URL, tags: [String: String]) async throws { try await inner.upload(key, from: file, tags: tags) }
    func download(_ key: String, to file: URL) async throws { try await inner.download(key, to: file) }
}
