import Foundation
import Logging
import RikerAWS
import RikerCore
import RikerRelease

/// A `DeliveryQueue` on Amazon SQS (`queue=sqs://QUEUE` in riker.conf), shared by several
/// Riker servers that share one release store: any of them may build a delivery, and each
/// delivery is built once.
///
/// SQS alone is not enough for that: its deduplication lasts 5 minutes (GitHub redelivers
/// for days), a standard queue may hand a message out twice, and a message comes back when
/// its visibility timeout ends even if a build is still running. So the store arbitrates:
///
/// - `enqueue` first creates `webhooks/deliveries/ID.json` if absent (the durable record,
///   and the claim of the id across servers and restarts), then sends the message. A send
///   that fails removes the record again, so GitHub's redelivery can be accepted.
/// - `receive` long-polls, then takes `webhooks/deliveries/ID.claim` for each message
///   (create-if-absent, or compare-and-swap over a claim whose holder is gone). A message
///   whose claim is live elsewhere is left alone; one whose claim is `done` is deleted.
/// - While a delivery is held, a heartbeat extends both the message's visibility and the
///   claim's lease every third of the visibility timeout. If this server dies, the message
///   comes back and the next server takes the claim over once its lease has run out (at
///   once when the dead holder ran on the same host).
/// - `complete` marks the claim done, then deletes the message; `release` expires the claim
///   and makes the message visible at once.
///
/// A FIFO queue (URL ending in `.fifo`) gets the app env as message group and the delivery
/// id as deduplication id; a standard queue works the same, unordered.
public final class SQSDeliveryQueue: DeliveryQueue, @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Seconds a received message stays hidden from other servers; renewed while held.
        public var visibilityTimeout: Int
        /// Long-poll wait of one ReceiveMessage, in seconds (1…20).
        public var waitSeconds: Int
        /// Seconds a claim lasts without renewal (after this its holder counts as dead).
        public var claimLease: Double

        public init(visibilityTimeout: Int = 60, waitSeconds: Int = 20, claimLease: Double? = nil) {
            let visibility = max(2, visibilityTimeout)
            self.visibilityTimeout = visibility
            self.waitSeconds = min(20, max(1, waitSeconds))
            self.claimLease = claimLease ?? Double(2 * visibility)
        }

        /// Seconds a delivery of an app env another server builds stays hidden before it is tried again.
        var laneRetry: Int { min(5, visibilityTimeout) }

        /// How often held deliveries are renewed.
        var heartbeat: Double { max(0.5, Double(visibilityTimeout) / 3) }
    }

    /// What this queue holds of a delivery it handed out.
    struct Holding {
        /// The latest receipt handle of its message (a message handed out again gets a new one).
        var receipt: String
        /// The entity tag of our claim, to renew it.
        var claimEtag: String
    }

    public let sqs: any SQSAPI
    public let queueURL: String
    public let store: any ReleaseStore
    public let configuration: Configuration
    /// This queue's name in claims: one per running server.
    let holder: String
    let logger: Logger
    let lock = NSLock()
    private var held: [String: Holding] = [:]
    /// App envs (`Delivery.key`) this server builds: our lane claim and how many held deliveries use it.
    var lanes: [String: LaneHold] = [:]
    private var heartbeat: Task<Void, Never>?

    public init(sqs: any SQSAPI, queueURL: String, store: any ReleaseStore, configuration: Configuration = .init(),
                logger: Logger = RikerLogging.logger("webhook.sqs")) {
        self.sqs = sqs; self.queueURL = queueURL; self.store = store; self.configuration = configuration; self.logger = logger
        holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }

    deinit { heartbeat?.cancel() }

    var isFIFO: Bool { queueURL.hasSuffix(".fifo") }

    /// Ids of the deliveries this queue has handed out and not seen completed or released.
    public var holding: [String] { lock.withLock { held.keys.sorted() } }

    // MARK: enqueue

    public func enqueue(_ delivery: Delivery) async throws -> EnqueueOutcome {
        guard DeliveryID.isValid(delivery.id) else { throw RikerError(.invalidInput, "invalid delivery id") }
        let record = StoreLayout.webhookDelivery(delivery.id)
        let body = try JSONCoding.encode(delivery)
        do {
            try await store.put(record, body, condition: .ifAbsent)
        } catch let e as RikerError where e.code == .preconditionFailed {
            let earlier = try? await store.get(record).flatMap { try? JSONCoding.decode(Delivery.self, from: $0.data, what: "delivery record") }
            return .duplicate(earlier ?? delivery)
        }
        do {
            _ = try await sqs.send(queueURL: queueURL, body: String(decoding: body, as: UTF8.self),
                               groupId: isFIFO ? delivery.key : nil, deduplicationId: isFIFO ? delivery.id : nil,
                               attributes: ["app": delivery.app, "env": delivery.env])
        } catch {
            // Not queued: forget the id, so that GitHub's redelivery of it is accepted.
            try? await store.delete(record)
            throw error
        }
        return .accepted
    }

    // MARK: receive

    public func receive() async throws -> [ReceivedDelivery] {
        startHeartbeat()
        while true {
            try Task.checkCancellation()
            let messages = try await poll()
            var out: [ReceivedDelivery] = []
            for message in messages {
                do {
                    if let r = try await take(message) { out.append(r) }
                } catch {
                    // The message stays hidden and comes back after its visibility timeout.
                    logger.error("cannot claim a queued delivery; it comes back later", metadata: ["error": .string(error.userMessage)])
                }
            }
            if Task.isCancelled {
                for r in out { await release(r) }
                throw CancellationError()
            }
            if !out.isEmpty { return out.sorted { ($0.delivery.receivedAt, $0.delivery.id) < ($1.delivery.receivedAt, $1.delivery.id) } }
        }
    }

    /// One long poll that cancellation ends at once (the HTTP request cannot be interrupted:
    /// what it brings after that is made visible again).
    func poll() async throws -> [SQSMessage] {
        let waiter = PollWaiter()
        let (sqs, url, config) = (self.sqs, queueURL, configuration)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[SQSMessage], Error>) in
                guard waiter.wait(continuation) else { return }
                Task {
                    let result: Result<[SQSMessage], Error>
                    do {
                        result = .success(try await sqs.receive(queueURL: url, maxMessages: 10, waitSeconds: config.waitSeconds,
                                                                visibilityTimeout: config.visibilityTimeout))
                    } catch { result = .failure(error) }
                    if !waiter.finish(result), case .success(let late) = result {
                        for m in late { try? await sqs.changeVisibility(queueURL: url, receiptHandle: m.receiptHandle, timeout: 0) }
                    }
                }
            }
        } onCancel: {
            waiter.cancel()
        }
    }

    /// Claims the delivery of `message` for this server; nil when it is not ours to build.
    func take(_ message: SQSMessage) async throws -> ReceivedDelivery? {
        guard let delivery = try? JSONCoding.decode(Delivery.self, from: Data(message.body.utf8), what: "queued delivery"),
              DeliveryID.isValid(delivery.id) else {
            logger.error("deleting a message that is not a Riker delivery from the queue", metadata: ["message": .string(message.id)])
            try await sqs.delete(queueURL: queueURL, receiptHandle: message.receiptHandle)
            return nil
        }
        let id = delivery.id
        // Handed out again while this server builds it (a late heartbeat): keep the new handle only.
        let known: Bool = lock.withLock {
            guard held[id] != nil else { return false }
            held[id]!.receipt = message.receiptHandle
            return true
        }
        if known { return nil }
        // One server builds an app env at a time (a FIFO queue's groups ensure it on AWS; the
        // lane also covers a long poll that hands out a busy group, as moto's does).
        guard try await acquireLane(delivery.key) else {
            try? await sqs.changeVisibility(queueURL: queueURL, receiptHandle: message.receiptHandle, timeout: configuration.laneRetry)
            return nil
        }
        do {
            if let r = try await claim(delivery, message) { return r }
        } catch {
            await dropLane(delivery.key)
            throw error
        }
        await dropLane(delivery.key)
        return nil
    }

    /// Takes the delivery's claim in the store; nil when another server has it or it is done.
    private func claim(_ delivery: Delivery, _ message: SQSMessage) async throws -> ReceivedDelivery? {
        let id = delivery.id
        let key = StoreLayout.webhookClaim(id)
        for _ in 0..<3 {
            let mine = try JSONCoding.encode(DeliveryClaim.mine(holder: holder, expiresAt: Date().addingTimeInterval(configuration.claimLease)))
            do {
                return hold(delivery, message, etag: try await store.put(key, mine, condition: .ifAbsent))
            } catch let e as RikerError where e.code == .preconditionFailed {}
            guard let object = try await store.get(key) else { continue }
            let claim = try? JSONCoding.decode(DeliveryClaim.self, from: object.data, what: "delivery claim")
            if let claim, claim.done {
                // Built already (its message was not deleted in time): drop this copy.
                try await sqs.delete(queueURL: queueURL, receiptHandle: message.receiptHandle)
                return nil
            }
            if let claim, !claim.isAbandoned(now: Date()) { return nil }
            do {
                let etag = try await store.put(key, mine, condition: .ifMatch(object.etag))
                logger.warning("taking over a delivery whose server stopped building it",
                               metadata: ["delivery": .string(id), "holder": .string(claim?.holder ?? "?")])
                return hold(delivery, message, etag: etag)
            } catch let e as RikerError where e.code == .preconditionFailed {}
        }
        return nil
    }

    private func hold(_ delivery: Delivery, _ message: SQSMessage, etag: String) -> ReceivedDelivery {
        lock.withLock { held[delivery.id] = Holding(receipt: message.receiptHandle, claimEtag: etag) }
        return ReceivedDelivery(delivery: delivery, receipt: message.receiptHandle)
    }

    // MARK: complete, release

    public func complete(_ received: ReceivedDelivery) async throws {
        let id = received.delivery.id
        let holding = lock.withLock { held.removeValue(forKey: id) }
        do {
            let done = try JSONCoding.encode(DeliveryClaim.mine(holder: holder, expiresAt: Date(), done: true))
            try await store.put(StoreLayout.webhookClaim(id), done, condition: .always)
            try await sqs.delete(queueURL: queueURL, receiptHandle: holding?.receipt ?? received.receipt)
        } catch {
            if holding != nil { await dropLane(received.delivery.key) }
            throw error
        }
        if holding != nil { await dropLane(received.delivery.key) }
    }

    public func release(_ received: ReceivedDelivery) async {
        let id = received.delivery.id
        let holding = lock.withLock { held.removeValue(forKey: id) }
        await expireClaim(id)
        if holding != nil { await dropLane(received.delivery.key) }
        do {
            try await sqs.changeVisibility(queueURL: queueURL, receiptHandle: holding?.receipt ?? received.receipt, timeout: 0)
        } catch {
            logger.warning("cannot give a delivery back to the queue; it comes back after its visibility timeout",
                           metadata: ["delivery": .string(id), "error": .string(error.userMessage)])
        }
    }

    /// Ends our claim on `id` (if it is still ours and not done), so the next server takes it at once.
    private func expireClaim(_ id: String) async {
        let key = StoreLayout.webhookClaim(id)
        for _ in 0..<3 {
            guard let object = try? await store.get(key),
                  let claim = try? JSONCoding.decode(DeliveryClaim.self, from: object.data, what: "delivery claim"),
                  claim.holder == holder, !claim.done else { return }
            var expired = claim
            expired.expiresAt = .distantPast
            guard let data = try? JSONCoding.encode(expired) else { return }
            if (try? await store.put(key, data, condition: .ifMatch(object.etag))) != nil { return }
        }
    }

    // MARK: heartbeat

    private func startHeartbeat() {
        lock.withLock {
            guard heartbeat == nil else { return }
            let interval = UInt64(configuration.heartbeat * 1e9)
            heartbeat = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: interval)
                    guard let self else { return }
                    await self.renewHeld()
                }
            }
        }
    }

    /// Extends the visibility of every held message and the lease of its claim.
    func renewHeld() async {
        await renewLanes()
        for (id, holding) in lock.withLock({ held }) {
            do {
                try await sqs.changeVisibility(queueURL: queueURL, receiptHandle: holding.receipt, timeout: configuration.visibilityTimeout)
            } catch {
                logger.warning("cannot extend a delivery's visibility", metadata: ["delivery": .string(id), "error": .string(error.userMessage)])
            }
            do {
                let claim = try JSONCoding.encode(DeliveryClaim.mine(holder: holder, expiresAt: Date().addingTimeInterval(configuration.claimLease)))
                let etag = try await store.put(StoreLayout.webhookClaim(id), claim, condition: .ifMatch(holding.claimEtag))
                lock.withLock { if held[id] != nil { held[id]!.claimEtag = etag } }
            } catch let e as RikerError where e.code == .preconditionFailed {
                // Completed or released meanwhile, or taken over by another server (then both build it: say so).
                if lock.withLock({ held[id] != nil }) {
                    logger.error("another server took over a delivery this server is building", metadata: ["delivery": .string(id)])
                }
            } catch {
                logger.warning("cannot renew a delivery's claim", metadata: ["delivery": .string(id), "error": .string(error.userMessage)])
            }
        }
    }
}

/// The meeting point of a poll and its caller: whichever of the answer and the cancellation
/// comes first resumes the caller; `finish` says whether the answer was taken.
final class PollWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<[SQSMessage], Error>?
    private var over = false

    /// Parks the caller; false (and resumed with `CancellationError`) when cancelled already.
    func wait(_ c: CheckedContinuation<[SQSMessage], Error>) -> Bool {
        let cancelled: Bool = lock.withLock {
            if over { return true }
            continuation = c
            return false
        }
        if cancelled { c.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func finish(_ result: Result<[SQSMessage], Error>) -> Bool {
        guard let c = take() else { return false }
        c.resume(with: result)
        return true
    }

    func cancel() { take()?.resume(throwing: CancellationError()) }

    private func take() -> CheckedContinuation<[SQSMessage], Error>? {
        lock.withLock {
            guard !over else { return nil }
            over = true
            defer { continuation = nil }
            return continuation
        }
    }
}
