import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerLogs

/// Lines `web.1` of `instance` wrote at `start`, `start+step`, …
func appLines(_ texts: [String], instance: String, process: String = "web.1", start: Int64, step: Int64 = 10) -> [LogLine] {
    texts.enumerated().map { i, t in LogLine.app(t, process: process, instance: instance, time: LogTimestamp(millis: start + Int64(i) * step)) }
}

@Suite struct LogShipperTests {
    @Test(arguments: LogStoreKind.allCases)
    func shippedLinesLandAsChunksUnderTheInstanceAndReadBack(kind: LogStoreKind) async throws {
        let (store, cleanup) = try await kind.make(); defer { cleanup() }
        let shipper = LogShipper(store: store, app: "shop", env: "production", instance: "i-0abc")
        let now = LogTimestamp.now().millis
        shipper.receive(appLines(["one", "two"], instance: "i-0abc", start: now))
        #expect(await shipper.flush())
        shipper.receive(appLines(["three"], instance: "i-0abc", start: now + 100))
        #expect(await shipper.flush())
        #expect(await shipper.flush(), "an empty round writes nothing")

        let keys = try await store.list(prefix: "apps/shop/production/logs/").map(\.key)
        #expect(keys.count == 2)
        #expect(keys.allSatisfy { $0.hasPrefix("apps/shop/production/logs/i-0abc/") && $0.hasSuffix(".log") })
        #expect(keys.first == LogChunkKey(app: "shop", env: "production", instance: "i-0abc", firstLine: LogTimestamp(millis: now), sequence: 1).description)
        let first = try #require(try await store.get(keys[0]))
        #expect(String(decoding: first.data, as: UTF8.self) == appLines(["one", "two"], instance: "i-0abc", start: now).map { "\($0)\n" }.joined())

        let lines = try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery(lines: 10))
        #expect(lines.map(\.text) == ["one", "two", "three"])
        #expect(shipper.stats.chunks == 2 && shipper.stats.shippedLines == 3 && shipper.stats.droppedLines == 0)
    }

    @Test(arguments: LogStoreKind.allCases)
    func oldChunksBeyondTheRetentionAreDeletedAndARestartContinuesTheSequence(kind: LogStoreKind) async throws {
        let (store, cleanup) = try await kind.make(); defer { cleanup() }
        var options = LogShipperOptions()
        options.keepChunks = 3
        let now = LogTimestamp.now().millis
        let first = LogShipper(store: store, app: "shop", env: "production", instance: "i-1", options: options)
        for i in 0..<5 {
            first.receive(appLines(["round \(i)"], instance: "i-1", start: now + Int64(i) * 1000))
            #expect(await first.flush())
        }
        let prefix = LogChunkKey.prefix("shop", "production", instance: "i-1")
        var keys = try await store.list(prefix: prefix).compactMap { LogChunkKey($0.key, app: "shop", env: "production") }
        #expect(keys.map(\.sequence) == [3, 4, 5])
        #expect(first.stats.deletedChunks == 2)

        // A new agent on the same instance (after a restart) continues after the chunks it finds,
        // and keeps them within the same retention.
        let second = LogShipper(store: store, app: "shop", env: "production", instance: "i-1", options: options)
        second.receive(appLines(["after restart"], instance: "i-1", start: now + 10_000))
        #expect(await second.flush())
        keys = try await store.list(prefix: prefix).compactMap { LogChunkKey($0.key, app: "shop", env: "production") }
        #expect(keys.map(\.sequence) == [4, 5, 6])
        let texts = try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery(lines: 100)).map(\.text)
        #expect(texts == ["round 3", "round 4", "after restart"])
    }

    @Test func chunksOlderThanTheMaximumAgeAreDeleted() async throws {
        let (store, cleanup) = try await LogStoreKind.local.make(); defer { cleanup() }
        var options = LogShipperOptions()
        options.maxAge = 3600
        let shipper = LogShipper(store: store, app: "shop", env: "production", instance: "i-1", options: options)
        let now = LogTimestamp.now().millis
        shipper.receive(appLines(["two hours ago"], instance: "i-1", start: now - 7_200_000))
        #expect(await shipper.flush())
        shipper.receive(appLines(["now"], instance: "i-1", start: now))
        #expect(await shipper.flush())
        let texts = try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery(lines: 100)).map(\.text)
        #expect(texts == ["now"])
    }

    @Test func aStoreThatIsDownCostsOldLinesNotAWaitAndTheLossIsReported() async throws {
        let (local, cleanup) = try await LogStoreKind.local.make(); defer { cleanup() }
        let store = GatedStore(local)
        var options = LogShipperOptions()
        options.maxQueuedLines = 100
        let shipper = LogShipper(store: store, app: "shop", env: "production", instance: "i-1", options: options)
        let now = LogTimestamp.now().millis

        store.failing = true
        shipper.receive(appLines((0..<50).map { "early \($0)" }, instance: "i-1", start: now))
        #expect(await shipper.flush() == false)
        shipper.receive(appLines((0..<1000).map { "line \($0)" }, instance: "i-1", start: now + 1000, step: 1))
        #expect(shipper.stats.droppedLines == 950)
        #expect(shipper.queuedLines == 100)

        store.failing = false
        #expect(await shipper.flush())
        let lines = try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery(lines: 1000))
        #expect(lines.filter { $0.source == "app" }.map(\.text) == (900..<1000).map { "line \($0)" })
        let notice = try #require(lines.last { $0.source == "riker" })
        #expect(notice.text == "950 log lines were dropped: the store did not keep up")
        #expect(notice.process == "logs" && notice.instance == "i-1")
    }

    @Test func aSlowStoreNeverHoldsUpTheLinesBeingCaptured() async throws {
        let (local, cleanup) = try await LogStoreKind.local.make(); defer { cleanup() }
        let store = GatedStore(local)
        var options = LogShipperOptions()
        options.maxQueuedLines = 100
        let shipper = LogShipper(store: store, app: "shop", env: "production", instance: "i-1", options: options)
        let now = LogTimestamp.now().millis
        shipper.receive(appLines(["first"], instance: "i-1", start: now))

        store.hold()
        let flushing = Task { await shipper.flush() }
        #expect(await eventually { store.waiting > 0 }, "the write is stuck in the store")
        // While the write hangs, a real process's capture goes on at full speed into the shipper.
        let dir = try TempDir(); defer { dir.remove() }
        let stream = LogStream(instance: "i-1")
        stream.add(shipper)
        let capture = try ProcessLogCapture(process: "web.1", instance: "i-1", file: dir.path("web.log"), stream: stream)
        var spec = ProcessSpec("/usr/bin/seq", ["1", "5000"], environment: [:])
        capture.attach(to: &spec)
        #expect(try ChildProcess.spawn(spec).wait().succeeded)
        capture.close()
        #expect(capture.counts.lines == 5000)
        #expect(shipper.stats.droppedLines == 4900)
        store.release()
        #expect(await flushing.value)
        #expect(await shipper.flush())
        let texts = try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery(lines: 1000)).filter { $0.source == "app" }.map(\.text)
        #expect(texts == ["first"] + (4901...5000).map(String.init))
    }

    @Test(arguments: LogStoreKind.allCases)
    func runShipsOnItsIntervalAndShipsTheRestWhenCancelled(kind: LogStoreKind) async throws {
        let (store, cleanup) = try await kind.make(); defer { cleanup() }
        var options = LogShipperOptions()
        options.interval = 0.05
        let shipper = LogShipper(store: store, app: "shop", env: "staging", instance: "i-1", options: options)
        let task = Task { await shipper.run() }
        shipper.receive(appLines(["periodic"], instance: "i-1", start: LogTimestamp.now().millis))
        #expect(await eventually { shipper.stats.shippedLines == 1 })
        options.interval = 3600
        let slow = LogShipper(store: store, app: "shop", env: "staging", instance: "i-2", options: options)
        let slowTask = Task { await slow.run() }
        slow.receive(appLines(["at shutdown"], instance: "i-2", start: LogTimestamp.now().millis))
        slowTask.cancel()
        await slowTask.value
        task.cancel()
        await task.value
        let texts = try await LogReader(store: store, app: "shop", env: "staging").recent(LogQuery(lines: 10)).map(\.text)
        #expect(texts == ["periodic", "at shutdown"])
    }
}

/// A store around a real one whose writes can be made to fail or to hang, for the shipper's
/// behaviour when the store is down or slow (the S3 paths themselves are tested on moto).
final class GatedStore: ReleaseStore, @unchecked Sendable {
    let inner: any ReleaseStore
    private let lock = NSLock()
    private var _failing = false
    private var holding = false
    private var held: [CheckedContinuation<Void, Never>] = []

    init(_ inner: any ReleaseStore) { self.inner = inner }

    var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }
    var waiting: Int { lock.withLock { held.count } }
    func hold() { lock.withLock { holding = true } }
    func release() {
        let waiters: [CheckedContinuation<Void, Never>] = lock.withLock {
            holding = false
            defer { held = [] }
            return held
        }
        waiters.forEach { $0.resume() }
    }

    var url: String { inner.url }
    func get(_ key: String) async throws -> StoredObject? { try await inner.get(key) }
    func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead { try await inner.get(key, ifNoneMatch: etag) }
    func head(_ key: String) async throws -> ObjectInfo? { try await inner.head(key) }
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        if failing { throw RikerError(.store, "the store is down (test)") }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wait: Bool = lock.withLock { if holding { held.append(c) }; return holding }
            if !wait { c.resume() }
        }
        return try await inner.put(key, data, condition: condition)
    }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func listChildren(prefix: String) async throws -> [String] { try await inner.listChildren(prefix: prefix) }
    func upload(_ key: String, from file: URL, tags: [String: String]) async throws { try await inner.upload(key, from: file, tags: tags) }
    func download(_ key: String, to file: URL) async throws { try await inner.download(key, to: file) }
}

@Suite struct LogRetentionTests {
    @Test func pruneDeletesOldChunksOfEveryInstanceAndNothingElse() async throws {
        let (store, cleanup) = try await LogStoreKind.local.make(); defer { cleanup() }
        let now = LogTimestamp.now().millis
        for (instance, age) in [("i-gone", 3 * 86_400_000), ("i-live", 0)] as [(String, Int64)] {
            let s = LogShipper(store: store, app: "shop", env: "production", instance: instance)
            s.receive(appLines(["from \(instance)"], instance: instance, start: now - age))
            #expect(await s.flush())
        }
        try await store.put("apps/shop/production/logs/README", Data("not a chunk".utf8), condition: .always)
        #expect(try await LogRetention.prune(store: store, app: "shop", env: "production", maxAge: 86_400) == 1)
        #expect(try await LogReader(store: store, app: "shop", env: "production").recent(LogQuery()).map(\.text) == ["from i-live"])
        #expect(try await store.get("apps/shop/production/logs/README") != nil)
    }
}
