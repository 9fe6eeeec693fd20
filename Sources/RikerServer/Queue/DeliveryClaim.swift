import Foundation
import RikerCore
import RikerRelease

/// Who is building a delivery of a shared queue, kept in the store beside the delivery's
/// record (`webhooks/deliveries/ID.claim`), so that of several servers receiving the same
/// SQS message only one builds it.
///
/// Taken with create-if-absent, renewed and finished with compare-and-swap on its entity tag.
/// A claim whose lease ran out, or whose holder ran on this host and is gone, is taken over:
/// that server died building, and the delivery is built again. A `done` claim is never built again.
struct DeliveryClaim: Codable, Sendable, Equatable {
    /// The queue instance holding it (one per running server).
    var holder: String
    var expiresAt: Date
    /// Built (or its build failed): the delivery is over.
    var done: Bool
    /// The host and process (`PID:STARTTIME`) of the holder, so this host can tell a dead one.
    var host: String?
    var process: String?

    enum CodingKeys: String, CodingKey {
        case holder, done, host, process
        case expiresAt = "expires_at"
    }

    /// A claim of this process for `holder`, leased until `expiresAt`.
    static func mine(holder: String, expiresAt: Date, done: Bool = false) -> DeliveryClaim {
        DeliveryClaim(holder: holder, expiresAt: expiresAt, done: done, host: ProcessInfo.processInfo.hostName,
                      process: ProcessIdentity.of(getpid())?.description)
    }

    /// Whether whoever held it is gone for sure: the lease ran out, or the holder ran on
    /// this host and its process no longer exists.
    func isAbandoned(now: Date) -> Bool {
        if done { return false }
        if expiresAt < now { return true }
        guard host == ProcessInfo.processInfo.hostName, let process, let identity = ProcessIdentity(parsing: process) else { return false }
        return !identity.isAlive
    }
}

extension StoreLayout {
    /// Accepted webhook deliveries of a shared queue: `ID.json` (the delivery) and `ID.claim`.
    static let webhookDeliveriesPrefix = "webhooks/deliveries/"
    static func webhookDelivery(_ id: String) -> String { "\(webhookDeliveriesPrefix)\(id).json" }
    static func webhookClaim(_ id: String) -> String { "\(webhookDeliveriesPrefix)\(id).claim" }
}
