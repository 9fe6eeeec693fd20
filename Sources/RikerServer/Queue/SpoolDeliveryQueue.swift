import Foundation
import Logging
import RikerCore

/// The embedded `DeliveryQueue`: one file per delivery in a spool directory under the Riker
/// root (`ROOT/spool/webhooks/`).
///
/// `ID.json` is created with a hard link of a complete, fsynced temp file, then the directory
/// is fsynced: the link is the durable record and the claim of the id at once, so two
/// copies of a delivery arriving together are accepted exactly once. `ID.done` marks it
/// built. Deliveries without `.done` are handed out again after a restart; completed ones
/// are kept `retention` seconds (GitHub redelivers from the last 3 days), then pruned.
public final class SpoolDeliveryQueue: DeliveryQueue, @unchecked Sendable {
    public let directory: URL
    public let retention: TimeInterval
    let logger: Logger
    private let lock = NSLock()
    private var pending: [String: Delivery] = [:]
    private var inFlight = Set<String>()
    private var lastPrune = Date.distantPast
    private let bell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    /// Opens (creating) the spool and loads the deliveries not built yet.
    public init(directory: URL, retention: TimeInterval = 7 * 86400, logger: Logger = RikerLogging.logger("webhook.spool")) throws {
        self.directory = directory; self.retention = retention; self.logger = logger
        let doorbell = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        bell = doorbell.stream
        ring = doorbell.continuation
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        prune()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            guard DeliveryID.isValid(id), !FileManager.default.fileExists(atPath: doneFile(id).path) else { continue }
            do {
                pending[id] = try JSONCoding.decode(Delivery.self, from: try AtomicFile.read(deliveryFile(id)) ?? Data(), what: "spooled delivery \(id)")
            } catch {
                logger.error("skipping an unreadable spooled delivery", metadata: ["delivery": .string(id), "error": .string(error.userMessage)])
            }
        }
        if !pending.isEmpty { logger.info("spooled deliveries to build", metadata: ["count": .stringConvertible(pending.count)]) }
    }

    /// The spool of a Riker root.
    public convenience init(paths: RikerPaths) throws {
        try self.init(directory: paths.webhookSpool)
    }

    func deliveryFile(_ id: String) -> URL { directory.appendingPathComponent("\(id).json") }
    func doneFile(_ id: String) -> URL { directory.appendingPathComponent("\(id).done") }

    public func enqueue(_ delivery: Delivery) async throws -> EnqueueOutcome {
        guard DeliveryID.isValid(delivery.id) else { throw RikerError(.invalidInput, "invalid delivery id") }
        let file = deliveryFile(delivery.id)
        if try AtomicFile.createIfAbsent(try JSONCoding.encode(delivery), at: file, mode: 0o600) {
            try Self.syncDirectory(directory)
            lock.withLock { pending[delivery.id] = delivery }
            ring.yield()
            return .accepted
        }
        let earlier = (try? AtomicFile.read(file)).flatMap { $0 }.flatMap { try? JSONCoding.decode(Delivery.self, from: $0, what: "spooled delivery") }
        return .duplicate(earlier ?? delivery)
    }

    public func receive() async throws -> [ReceivedDelivery] {
        while true {
            try Task.checkCancellation()
            let batch: [Delivery] = lock.withLock {
                let ready = pending.values.filter { !inFlight.contains($0.id) }
                    .sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }
                inFlight.formUnion(ready.map(\.id))
                return ready
            }
            if !batch.isEmpty { return batch.map { ReceivedDelivery(delivery: $0, receipt: $0.id) } }
            var wait = bell.makeAsyncIterator()
            if await wait.next() == nil { throw CancellationError() }
        }
    }

    public func complete(_ received: ReceivedDelivery) async throws {
        let id = received.receipt
        // Not fsynced: a marker lost in a crash only hands the delivery out again, and its
        // build then finds the branch tip already deployed. A big coalesced build completes
        // many deliveries; an fsync each would hold the build queue for seconds.
        let marker = open(doneFile(id).path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard marker >= 0 else { throw RikerError.posix("cannot mark delivery done in", path: directory.path) }
        close(marker)
        let pruneNow: Bool = lock.withLock {
            pending[id] = nil
            inFlight.remove(id)
            guard Date().timeIntervalSince(lastPrune) > 3600 else { return false }
            lastPrune = Date()
            return true
        }
        if pruneNow { prune() }
    }

    public func release(_ received: ReceivedDelivery) async {
        _ = lock.withLock { inFlight.remove(received.receipt) }
    }

    /// Ids of deliveries accepted and not built yet (oldest first).
    public var unfinished: [String] {
        lock.withLock { pending.values.sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }.map(\.id) }
    }

    /// Removes completed deliveries older than `retention` and temp files left by a crash.
    func prune() {
        let fm = FileManager.default
        let now = Date()
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names {
            let url = directory.appendingPathComponent(name)
            guard let modified = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date else { continue }
            if name.hasSuffix(".done"), now.timeIntervalSince(modified) > retention {
                try? fm.removeItem(at: deliveryFile(String(name.dropLast(5))))
                try? fm.removeItem(at: url)
            } else if name.hasPrefix(".tmp-"), now.timeIntervalSince(modified) > 3600 {
                try? fm.removeItem(at: url)
            }
        }
        lock.withLock { lastPrune = now }
    }

    /// Makes a new directory entry durable (the link that records a delivery).
    static func syncDirectory(_ dir: URL) throws {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RikerError.posix("cannot open", path: dir.path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RikerError.posix("cannot sync", path: dir.path) }
    }
}

extension RikerPaths {
    /// Accepted webhook deliveries waiting to be built (`SpoolDeliveryQueue`).
    public var webhookSpool: URL { root.appendingPathComponent("spool").appendingPathComponent("webhooks") }
}
