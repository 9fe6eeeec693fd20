import Foundation

/// One message as ReceiveMessage hands it out.
public struct SQSMessage: Sendable, Equatable {
    /// SQS's id of the message (the same on every delivery of it).
    public var id: String
    /// The handle of this delivery: DeleteMessage and ChangeMessageVisibility take it. Each
    /// delivery of the same message has a new one; use the latest.
    public var receiptHandle: String
    public var body: String
    /// The message attributes sent with it (String and Number types; binary ones are left out).
    public var attributes: [String: String]
    /// How many times the message has been handed out, this time included (1 on first delivery).
    public var receiveCount: Int
    /// FIFO queues: the group and deduplication id it was sent with.
    public var groupId: String?
    public var deduplicationId: String?
    /// When the message was sent, to the millisecond.
    public var sentAt: Date?

    public init(id: String, receiptHandle: String, body: String, attributes: [String: String] = [:], receiveCount: Int = 1,
                groupId: String? = nil, deduplicationId: String? = nil, sentAt: Date? = nil) {
        self.id = id; self.receiptHandle = receiptHandle; self.body = body; self.attributes = attributes
        self.receiveCount = receiveCount; self.groupId = groupId; self.deduplicationId = deduplicationId; self.sentAt = sentAt
    }

    /// Reads a `<Message>` element of a ReceiveMessage answer; nil without an id or handle.
    init?(_ element: AWSXMLElement) {
        guard let id = element.text("MessageId"), !id.isEmpty,
              let handle = element.text("ReceiptHandle"), !handle.isEmpty else { return nil }
        var system: [String: String] = [:]
        var attributes: [String: String] = [:]
        for child in element.children {
            switch child.name {
            case "Attribute":
                if let name = child.text("Name") { system[name] = child.text("Value") ?? "" }
            case "MessageAttribute":
                if let name = child.text("Name"), let value = child.text("Value", "StringValue") { attributes[name] = value }
            default:
                break
            }
        }
        self.init(id: id, receiptHandle: handle, body: element.text("Body") ?? "", attributes: attributes,
                  receiveCount: Int(system["ApproximateReceiveCount"] ?? "") ?? 1,
                  groupId: system["MessageGroupId"], deduplicationId: system["MessageDeduplicationId"],
                  sentAt: Double(system["SentTimestamp"] ?? "").map { Date(timeIntervalSince1970: $0 / 1000) })
    }
}
