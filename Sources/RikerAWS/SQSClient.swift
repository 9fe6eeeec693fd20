import Foundation
import RikerCore

/// What a delivery queue needs from SQS (a seam for in-memory stand-ins).
public protocol SQSAPI: Sendable {
    func queueURL(name: String) async throws -> String
    func send(queueURL: String, body: String, groupId: String?, deduplicationId: String?, attributes: [String: String]) async throws -> String
    func receive(queueURL: String, maxMessages: Int, waitSeconds: Int, visibilityTimeout: Int?) async throws -> [SQSMessage]
    func delete(queueURL: String, receiptHandle: String) async throws
    func changeVisibility(queueURL: String, receiptHandle: String, timeout: Int) async throws
}

/// The Amazon SQS API (query protocol, version 2012-11-05). Errors as `AWSQueryClient`'s,
/// and an unknown queue is `.notFound`.
///
/// Message bodies go through XML on the way back: leading and trailing whitespace is not
/// kept, and SQS itself allows only XML characters (no NUL, no lone surrogates) and at most
/// 256 KiB. Send JSON or another text encoding of what you need.
public struct SQSClient: SQSAPI {
    public let client: AWSQueryClient

    public init(client: AWSQueryClient) {
        precondition(client.service == .sqs, "SQSClient needs an SQS AWSQueryClient")
        self.client = client
    }

    /// From the environment: region, `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL`, credential
    /// chain. Throws `.invalidInput` for a malformed endpoint.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> SQSClient {
        SQSClient(client: try .fromEnvironment(service: .sqs, env))
    }

    /// Creates the queue `name` (a name ending in `.fifo` makes a FIFO queue) and returns its URL.
    /// `visibilityTimeout` is the queue's default, in seconds; `contentBasedDeduplication`
    /// applies to FIFO queues only; `attributes` adds any other queue attribute. Creating an
    /// existing queue with the same attributes returns its URL; with different ones SQS
    /// refuses (`.aws`, QueueAlreadyExists).
    public func createQueue(name: String, visibilityTimeout: Int? = nil, contentBasedDeduplication: Bool? = nil,
                            attributes: [String: String] = [:]) async throws -> String {
        var all = attributes
        if name.hasSuffix(".fifo") { all["FifoQueue"] = "true" }
        if let v = visibilityTimeout { all["VisibilityTimeout"] = String(v) }
        if let c = contentBasedDeduplication { all["ContentBasedDeduplication"] = c ? "true" : "false" }
        var p = AWSQueryParameters()
        p.set("QueueName", name)
        for (i, key) in all.keys.sorted().enumerated() {
            p.set("Attribute.\(i + 1).Name", key)
            p.set("Attribute.\(i + 1).Value", all[key])
        }
        let answer = try await perform("CreateQueue", p, context: "queue \(name)")
        return try url(answer, "CreateQueueResult", name)
    }

    /// The URL of the queue `name` in this client's account and region. Throws `.notFound`
    /// when there is no such queue.
    public func queueURL(name: String) async throws -> String {
        var p = AWSQueryParameters()
        p.set("QueueName", name)
        return try url(try await perform("GetQueueUrl", p, context: "queue \(name)"), "GetQueueUrlResult", name)
    }

    /// Sends `body` with string `attributes` and returns SQS's message id.
    ///
    /// A FIFO queue needs a `groupId` (messages of one group are handed out one at a time, in
    /// order) and, unless the queue has content-based deduplication, a `deduplicationId`:
    /// a second message with the same id within 5 minutes is accepted but not delivered.
    /// Standard queues take neither. A send retried after a lost answer can deliver twice on
    /// a standard queue (never on a FIFO queue within the deduplication window).
    @discardableResult
    public func send(queueURL: String, body: String, groupId: String? = nil, deduplicationId: String? = nil,
                     attributes: [String: String] = [:]) async throws -> String {
        var p = AWSQueryParameters()
        p.set("QueueUrl", queueURL)
        p.set("MessageBody", body)
        p.set("MessageGroupId", groupId)
        p.set("MessageDeduplicationId", deduplicationId)
        for (i, key) in attributes.keys.sorted().enumerated() {
            p.set("MessageAttribute.\(i + 1).Name", key)
            p.set("MessageAttribute.\(i + 1).Value.DataType", "String")
            p.set("MessageAttribute.\(i + 1).Value.StringValue", attributes[key])
        }
        let answer = try await perform("SendMessage", p, context: Self.context(queueURL))
        guard let id = answer.text("SendMessageResult", "MessageId"), !id.isEmpty else {
            throw RikerError(.aws, "SQS SendMessage (\(Self.context(queueURL))): the answer has no MessageId")
        }
        return id
    }

    /// Receives up to `maxMessages` (1…10) messages, waiting up to `waitSeconds` (0…20) for
    /// the first one (long polling; an empty list when none came). Each message stays
    /// invisible to other receivers for `visibilityTimeout` seconds (the queue's default when
    /// nil) and comes back if it is not deleted by then. Throws `.invalidInput` for limits out
    /// of range, and when `waitSeconds` would outlast the client's request time limit.
    public func receive(queueURL: String, maxMessages: Int = 1, waitSeconds: Int = 20, visibilityTimeout: Int? = nil) async throws -> [SQSMessage] {
        guard (1...10).contains(maxMessages) else {
            throw RikerError(.invalidInput, "SQS ReceiveMessage: maxMessages must be 1 to 10, not \(maxMessages)")
        }
        guard (0...20).contains(waitSeconds), Double(waitSeconds) + 5 <= client.requestTimeout else {
            throw RikerError(.invalidInput, "SQS ReceiveMessage: waitSeconds must be 0 to 20 and at least 5 s under the request time limit (\(Int(client.requestTimeout)) s), not \(waitSeconds)")
        }
        var p = AWSQueryParameters()
        p.set("QueueUrl", queueURL)
        p.set("MaxNumberOfMessages", String(maxMessages))
        p.set("WaitTimeSeconds", String(waitSeconds))
        p.set("VisibilityTimeout", visibilityTimeout.map(String.init))
        p.set("AttributeName.1", "All")
        p.set("MessageAttributeName.1", "All")
        let answer = try await perform("ReceiveMessage", p, context: Self.context(queueURL))
        return answer.list("ReceiveMessageResult").filter { $0.name == "Message" }.compactMap(SQSMessage.init)
    }

    /// Deletes the message a delivery's `receiptHandle` names: it is never handed out again.
    /// Deleting an already deleted message is harmless.
    public func delete(queueURL: String, receiptHandle: String) async throws {
        var p = AWSQueryParameters()
        p.set("QueueUrl", queueURL)
        p.set("ReceiptHandle", receiptHandle)
        _ = try await perform("DeleteMessage", p, context: Self.context(queueURL))
    }

    /// Makes a received message invisible for `timeout` more seconds from now (0: visible
    /// again at once). A worker that takes longer than the visibility timeout calls this
    /// periodically so no other receiver picks the message up meanwhile.
    public func changeVisibility(queueURL: String, receiptHandle: String, timeout: Int) async throws {
        var p = AWSQueryParameters()
        p.set("QueueUrl", queueURL)
        p.set("ReceiptHandle", receiptHandle)
        p.set("VisibilityTimeout", String(timeout))
        _ = try await perform("ChangeMessageVisibility", p, context: Self.context(queueURL))
    }

    /// The queue's attributes (`ApproximateNumberOfMessages`, `ApproximateNumberOfMessagesNotVisible`,
    /// `VisibilityTimeout`, `FifoQueue`, …) as name → value.
    public func queueAttributes(queueURL: String) async throws -> [String: String] {
        var p = AWSQueryParameters()
        p.set("QueueUrl", queueURL)
        p.set("AttributeName.1", "All")
        let answer = try await perform("GetQueueAttributes", p, context: Self.context(queueURL))
        var out: [String: String] = [:]
        for a in answer.list("GetQueueAttributesResult") where a.name == "Attribute" {
            if let name = a.text("Name") { out[name] = a.text("Value") ?? "" }
        }
        return out
    }

    /// Deletes the queue and every message in it.
    public func deleteQueue(queueURL: String) async throws {
        var p = AWSQueryParameters()
        p.set("QueueUrl", queueURL)
        _ = try await perform("DeleteQueue", p, context: Self.context(queueURL))
    }

    /// `client.perform`, with a hint on SQS's "no such queue" answers (`.notFound`).
    private func perform(_ action: String, _ p: AWSQueryParameters, context: String) async throws -> AWSXMLElement {
        do {
            return try await client.perform(action, p, context: context)
        } catch let e as RikerError where e.code == .notFound {
            throw RikerError(.notFound, e.message + " (check the queue name, account and region)")
        }
    }

    private func url(_ answer: AWSXMLElement, _ result: String, _ name: String) throws -> String {
        guard let url = answer.text(result, "QueueUrl"), !url.isEmpty else {
            throw RikerError(.aws, "SQS: the answer for queue \(name) has no QueueUrl")
        }
        return url
    }

    /// "queue NAME" from a queue URL, for messages.
    static func context(_ queueURL: String) -> String {
        "queue " + (queueURL.split(separator: "/").last.map(String.init) ?? queueURL)
    }
}
