import Foundation
import Logging
import RikerCore
import RikerRelease

/// How often and how much a `LogShipper` writes, and how much it keeps.
public struct LogShipperOptions: Sendable {
    /// Seconds between chunks (at most one round of writes per interval).
    public var interval: Double = 2
    /// A chunk holds at most this many bytes of lines; more queued lines make more chunks.
    public var maxChunkBytes = 4 << 20
    /// Lines waiting for the store; beyond these bounds the oldest are dropped and counted.
    public var maxQueuedLines = 200_000
    public var maxQueuedBytes = 16 << 20
    /// Chunks of this instance kept in the store; older ones are deleted.
    public var keepChunks = 1000
    /// Chunks older than this many seconds (by their first line) are deleted.
    public var maxAge: Double = 7 * 86_400

    public init() {}
}

/// Ships an instance's log lines to the store in chunks (`LogChunkKey`), so `riker logs`
/// can read them from anywhere.
///
/// Lines are queued by `receive` (never blocking the capture) and written every `interval`
/// as one object per chunk. When the store is slow or down the queue fills and drops its
/// oldest lines, counting them; the next chunk says how many were lost. The shipper keeps a
/// bounded number (and age) of its instance's chunks, deleting the oldest it finds.
///
/// Run it with `run()` in a task; cancel the task to stop, which ships what is queued first.
public final class LogShipper: LogSink, @unchecked Sendable {
    public let store: any ReleaseStore
    public let app: String
    public let env: String
    public let instance: String
    public let options: LogShipperOptions
    private let queue: BoundedLineQueue
    private let gate = SerialGate()
    private let logger: Logger

    // Touched only inside `gate`.
    private var primed = false
    private var written: [LogChunkKey] = []
    private var nextSequence = 1
    private var reportedDrops = 0
    private var failing = false

    private let statsLock = NSLock()
    private var _stats = Stats()

    /// What the shipper has done so far.
    public struct Stats: Sendable, Equatable {
        public var shippedLines = 0
        public var chunks = 0
        /// Lines dropped because the store did not keep up.
        public var droppedLines = 0
        public var failedWrites = 0
        public var deletedChunks = 0
        /// Every request made to the store (writes, deletes, listings).
        public var requests = 0
    }

    public init(store: any ReleaseStore, app: String, env: String, instance: String, options: LogShipperOptions = LogShipperOptions(),
                logger: Logger = RikerLogging.logger("logs")) {
        self.store = store; self.app = app; self.env = env; self.instance = instance; self.options = options
        queue = BoundedLineQueue(maxLines: options.maxQueuedLines, maxBytes: options.maxQueuedBytes)
        var logger = logger
        logger[metadataKey: "app"] = "\(app)"
        logger[metadataKey: "env"] = "\(env)"
        self.logger = logger
    }

    public func receive(_ lines: [LogLine]) { queue.append(contentsOf: lines) }

    public var stats: Stats {
        var s = statsLock.withLock { _stats }
        s.droppedLines = queue.dropped
        return s
    }

    /// Lines waiting to be shipped.
    public var queuedLines: Int { queue.count }

    /// Ships every `interval` until the task is cancelled, then ships what is left and returns.
    public func run() async {
        while !Task.isCancelled {
            do { try await Task.sleep(nanoseconds: UInt64(options.interval * 1_000_000_000)) } catch { break }
            await flush()
        }
        // The last round runs in a task of its own, so the cancellation does not cut it short.
        _ = await Task { await self.flush() }.value
    }

    /// Writes everything queued now as chunks, then deletes chunks beyond the retention.
    /// Returns false if the store refused a write (the lines stay queued for the next round).
    @discardableResult
    public func flush() async -> Bool {
        await gate.run { await self.shipQueued() }
    }

    private func shipQueued() async -> Bool {
        if !primed { await prime() }
        // The first chunk after a loss says how many lines were lost (it rides outside the
        // queue, so a full queue cannot drop the notice itself).
        let dropped = queue.dropped
        var notice = dropped > reportedDrops
            ? LogLine.riker("\(dropped - reportedDrops) log lines were dropped: the store did not keep up", component: "logs", instance: instance)
            : nil
        var conflicts = 0
        // Only what is queued now goes in this round: lines arriving while it writes wait for
        // the next one, so a round makes full chunks rather than a trickle of small ones.
        var budget = queue.count
        while budget > 0 || notice != nil {
            let lines = queue.take(maxLines: budget, maxBytes: options.maxChunkBytes)
            budget -= lines.count
            let batch = notice.map { [$0] + lines } ?? lines
            guard let first = batch.map(\.time).min() else { break }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch.reduce(0) { $0 + $1.text.utf8.count + 64 })
            for line in batch { line.write(to: &bytes) }
            let data = Data(bytes)
            let key = LogChunkKey(app: app, env: env, instance: instance, firstLine: first, sequence: nextSequence)
            count { $0.requests += 1 }
            do {
                try await store.put(key.description, data, condition: .ifAbsent)
            } catch let e as RikerError where e.code == .preconditionFailed && conflicts < 3 {
                // Someone (a previous agent on this instance) has that name: take the next one.
                conflicts += 1
                nextSequence += 1
                queue.prepend(lines)
                budget += lines.count
                continue
            } catch {
                queue.prepend(lines)
                count { $0.failedWrites += 1 }
                if !failing { logger.warning("cannot ship logs to \(store.url): \(error.userMessage)") }
                failing = true
                return false
            }
            if failing { logger.info("shipping logs to \(store.url) again") }
            failing = false
            if notice != nil { reportedDrops = dropped; notice = nil }
            nextSequence += 1
            written.append(key)
            count { $0.chunks += 1; $0.shippedLines += lines.count }
        }
        await prune()
        return true
    }

    /// Learns the chunks a previous agent on this instance left, to continue their sequence
    /// and keep them within the retention. A failed listing is retried next round.
    private func prime() async {
        count { $0.requests += 1 }
        guard let listed = try? await store.list(prefix: LogChunkKey.prefix(app, env, instance: instance)) else { return }
        let keys = listed.compactMap { LogChunkKey($0.key, app: app, env: env) }.filter { $0.instance == instance }
        written = (keys + written).sorted()
        nextSequence = max(nextSequence, (keys.map(\.sequence).max() ?? 0) + 1)
        primed = true
    }

    private func prune() async {
        let oldest = LogTimestamp.now().millis - Int64(options.maxAge * 1000)
        while let first = written.first, written.count > options.keepChunks || first.firstLine.millis < oldest {
            count { $0.requests += 1 }
            do { try await store.delete(first.description) } catch {
                logger.warning("cannot delete the old log chunk \(first): \(error.userMessage)")
                return
            }
            written.removeFirst()
            count { $0.deletedChunks += 1 }
        }
    }

    private func count(_ change: (inout Stats) -> Void) { statsLock.withLock { change(&_stats) } }
}
