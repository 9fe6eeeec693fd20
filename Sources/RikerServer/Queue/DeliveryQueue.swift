import Foundation

/// The answer to `enqueue`.
public enum EnqueueOutcome: Sendable, Equatable {
    /// Recorded durably; it will be built.
    case accepted
    /// A delivery with this id was accepted before: this is the earlier one, not queued again.
    case duplicate(Delivery)
}

/// A delivery handed out by `receive`, with what the queue needs to complete it.
public struct ReceivedDelivery: Sendable, Equatable {
    public var delivery: Delivery
    /// Opaque to callers (the spool: the delivery id; SQS: the receipt handle).
    public var receipt: String

    public init(delivery: Delivery, receipt: String) { self.delivery = delivery; self.receipt = receipt }
}

/// Where accepted deliveries wait to be built. `enqueue` is durable before it returns (the
/// webhook answers 202 only after it) and idempotent on the delivery id, across restarts.
/// A delivery received but never completed (the server died) is handed out again later.
///
/// Implementations: `SpoolDeliveryQueue` (a directory under the Riker root; the embedded
/// default) and, with `queue=sqs://QUEUE` in riker.conf, an Amazon SQS queue shared by
/// several servers.
public protocol DeliveryQueue: Sendable {
    /// Records `delivery` durably, unless its id was accepted before.
    func enqueue(_ delivery: Delivery) async throws -> EnqueueOutcome
    /// Waits until deliveries are available and claims them (oldest first). Only one task
    /// receives from a queue at a time; cancelling it ends the wait with `CancellationError`.
    func receive() async throws -> [ReceivedDelivery]
    /// The delivery was handled (built, or its build failed): it is never handed out again.
    func complete(_ received: ReceivedDelivery) async throws
    /// Gives a received delivery back unbuilt (the server is stopping), to be handed out again.
    func release(_ received: ReceivedDelivery) async
}
