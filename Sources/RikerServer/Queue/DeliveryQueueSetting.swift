import Foundation
import Logging
import RikerAWS
import RikerCore
import RikerRelease

/// The `queue=` setting of riker.conf: where webhook deliveries wait.
///
/// - absent, empty or `spool`: the embedded spool under the Riker root (one server);
/// - `sqs://QUEUE-NAME`: the SQS queue of that name in the configured account and region;
/// - `sqs://https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`: the SQS queue at that URL.
///
/// The queue must be a FIFO queue (its name ends in `.fifo`): its message groups (one per app
/// env) keep builds of an app env one at a time across every server, as `BuildScheduler`
/// keeps them on one server; on a standard queue two servers could build one env at once.
///
/// AWS settings come from the environment (riker.conf's upper-case keys: `AWS_REGION`,
/// `AWS_ENDPOINT_URL`, …), as for the S3 store.
public enum DeliveryQueueSetting: Equatable, Sendable {
    case spool
    case sqsName(String)
    case sqsURL(String)

    static let usage = "use queue=sqs://QUEUE-NAME.fifo or queue=sqs://https://sqs.REGION.amazonaws.com/ACCOUNT/NAME.fifo, or leave it out for the embedded spool"

    /// Reads a `queue=` value. Throws `.invalidInput` naming what is wrong.
    public static func parse(_ value: String?) throws -> DeliveryQueueSetting {
        let v = (value ?? "").trimmingCharacters(in: .whitespaces)
        if v.isEmpty || v == "spool" { return .spool }
        let shown = String(v.prefix(100))
        guard v.hasPrefix("sqs://") else {
            throw RikerError(.invalidInput, "riker.conf: queue=\(shown) is not a queue Riker knows: \(usage)")
        }
        let rest = String(v.dropFirst(6))
        let setting: DeliveryQueueSetting
        if rest.hasPrefix("https://") || rest.hasPrefix("http://") {
            guard let url = URL(string: rest), let host = url.host, !host.isEmpty,
                  url.path.split(separator: "/").count == 2, isQueueName(url.lastPathComponent) else {
                throw RikerError(.invalidInput, "riker.conf: queue=\(shown) is not an SQS queue URL: \(usage)")
            }
            setting = .sqsURL(rest)
        } else {
            guard isQueueName(rest) else {
                throw RikerError(.invalidInput, "riker.conf: queue=\(shown) does not name an SQS queue (1 to 80 letters, digits, - and _, ending in .fifo): \(usage)")
            }
            setting = .sqsName(rest)
        }
        guard rest.hasSuffix(".fifo") else {
            throw RikerError(.invalidInput, "riker.conf: queue=\(shown) is a standard SQS queue: Riker needs a FIFO queue (its name ends in .fifo) so that builds of an app env run one at a time across servers")
        }
        return setting
    }

    /// SQS's rule for queue names.
    static func isQueueName(_ name: String) -> Bool {
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        return !base.isEmpty && name.utf8.count <= 80 && base.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f
        }
    }

    /// The queue of riker.conf's `queue=` value: nil for the spool (`WebhookServer` opens it),
    /// an `SQSDeliveryQueue` on `store` otherwise, after checking that the queue exists.
    /// Throws one line naming the setting when the value is bad or the queue cannot be reached.
    public static func open(_ value: String?, store: any ReleaseStore, configuration: SQSDeliveryQueue.Configuration = .init(),
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            logger: Logger = RikerLogging.logger("webhook.sqs")) async throws -> (any DeliveryQueue)? {
        let setting = try parse(value)
        if setting == .spool { return nil }
        let sqs = try SQSClient.fromEnvironment(environment)
        let url: String
        do {
            switch setting {
            case .spool: return nil
            case .sqsName(let name): url = try await sqs.queueURL(name: name)
            case .sqsURL(let u): url = u; _ = try await sqs.queueAttributes(queueURL: u)
            }
        } catch let e as RikerError {
            throw RikerError(e.code, "riker.conf: queue=\(String((value ?? "").prefix(100))): \(e.message)")
        }
        logger.info("webhook deliveries queue in SQS", metadata: ["queue": .string(url), "store": .string(store.url)])
        return SQSDeliveryQueue(sqs: sqs, queueURL: url, store: store, configuration: configuration, logger: logger)
    }
}
