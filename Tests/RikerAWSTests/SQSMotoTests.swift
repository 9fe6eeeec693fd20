import Foundation
import RikerAWS
import RikerCore
import RikerTestSupport
import Testing

/// The SQS client against a real moto_server that checks signatures: the delivery semantics a
/// webhook queue shared by several servers relies on.
@Suite struct SQSMotoTests {
    let f: AWSFixture
    let sqs: SQSClient

    init() throws {
        f = try AWSFixture()
        sqs = SQSClient(client: f.client(.sqs))
    }

    /// A fresh FIFO queue for one test.
    func fifoQueue(_ label: String, visibility: Int = 30) async throws -> String {
        try await sqs.createQueue(name: "\(label)-\(f.tag).fifo", visibilityTimeout: visibility)
    }

    /// Receives until `done` holds for what arrived, or `deadline` seconds pass.
    /// One message per call by default: a batch may hold several messages of one FIFO group.
    func receiveUntil(_ queue: String, max: Int = 1, visibility: Int? = nil, deadline: Double = 30,
                      _ done: ([SQSMessage]) -> Bool) async throws -> [SQSMessage] {
        var got: [SQSMessage] = []
        let end = Date().addingTimeInterval(deadline)
        while !done(got), Date() < end {
            got += try await sqs.receive(queueURL: queue, maxMessages: max, waitSeconds: 1, visibilityTimeout: visibility)
        }
        return got
    }

    @Test func createsAQueueAndFindsItsURLByName() async throws {
        let url = try await fifoQueue("named")
        #expect(url.hasSuffix("/named-\(f.tag).fifo"))
        #expect(try await sqs.queueURL(name: "named-\(f.tag).fifo") == url)
        let attributes = try await sqs.queueAttributes(queueURL: url)
        #expect(attributes["FifoQueue"] == "true")
        #expect(attributes["VisibilityTimeout"] == "30")
        #expect(try await sqs.createQueue(name: "named-\(f.tag).fifo", visibilityTimeout: 30) == url, "creating it again is harmless")
    }

    @Test func anUnknownQueueIsNotFoundNamingIt() async throws {
        await #expect {
            _ = try await sqs.queueURL(name: "missing-\(f.tag)")
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .notFound && r!.message.contains("SQS GetQueueUrl") && r!.message.contains("missing-\(f.tag)")
        }
    }

    @Test func aMessageArrivesWithItsBodyAttributesGroupAndDeduplicationId() async throws {
        let q = try await fifoQueue("attrs")
        let body = #"{"delivery":"d-1","ref":"refs/heads/main","note":"<&> ünïcode"}"#
        let id = try await sqs.send(queueURL: q, body: body, groupId: "shop/production", deduplicationId: "d-1",
                                    attributes: ["event": "push", "app": "shop"])
        let got = try await sqs.receive(queueURL: q, maxMessages: 10, waitSeconds: 2)
        #expect(got.count == 1)
        let m = try #require(got.first)
        #expect(m.id == id)
        #expect(m.body == body)
        #expect(m.attributes == ["event": "push", "app": "shop"])
        #expect(m.groupId == "shop/production")
        #expect(m.deduplicationId == "d-1")
        #expect(m.receiveCount == 1)
        #expect(abs((m.sentAt ?? .distantPast).timeIntervalSinceNow) < 600)
        try await sqs.delete(queueURL: q, receiptHandle: m.receiptHandle)
    }

    @Test func theSameDeduplicationIdWithinTheWindowIsDeliveredOnce() async throws {
        let q = try await fifoQueue("dedup")
        try await sqs.send(queueURL: q, body: "first", groupId: "g", deduplicationId: "delivery-1")
        try await sqs.send(queueURL: q, body: "second", groupId: "g", deduplicationId: "delivery-1")
        try await sqs.send(queueURL: q, body: "other", groupId: "g", deduplicationId: "delivery-2")
        var bodies: [String] = []
        for _ in 0..<2 {
            // One group: the next message comes only once the one before is deleted.
            let got = try await receiveUntil(q) { !$0.isEmpty }
            #expect(got.count == 1)
            for m in got {
                bodies.append(m.body)
                try await sqs.delete(queueURL: q, receiptHandle: m.receiptHandle)
            }
        }
        #expect(bodies == ["first", "other"])
        let attributes = try await sqs.queueAttributes(queueURL: q)
        #expect(attributes["ApproximateNumberOfMessages"] == "0")
        #expect(attributes["ApproximateNumberOfMessagesNotVisible"] == "0")
    }

    @Test func twoConcurrentConsumersReceiveAndDeleteEveryMessage() async throws {
        let q = try await fifoQueue("race")
        var sent: Set<String> = []
        for i in 0..<12 {
            // A group per app env: messages of different groups are handed out in parallel.
            sent.insert(try await sqs.send(queueURL: q, body: "delivery \(i)", groupId: "app\(i % 4)/production", deduplicationId: "d-\(i)"))
        }
        let consumer: @Sendable () async throws -> [String] = { [sqs] in
            var mine: [String] = []
            let end = Date().addingTimeInterval(60)
            var idle = 0
            while idle < 3, Date() < end {
                let got = try await sqs.receive(queueURL: q, maxMessages: 2, waitSeconds: 1, visibilityTimeout: 60)
                idle = got.isEmpty ? idle + 1 : 0
                for m in got {
                    mine.append(m.id)
                    try await sqs.delete(queueURL: q, receiptHandle: m.receiptHandle)
                }
            }
            return mine
        }
        async let a = consumer()
        async let b = consumer()
        let (ra, rb) = try await (a, b)
        let all = ra + rb
        // Every message reached a consumer and was deleted. moto's ReceiveMessage is not atomic
        // under concurrent receives (a message may reach both consumers, which AWS's FIFO queues
        // do not do), so exactly-once is not asserted here: SQSDeliveryQueue gets it from claims
        // in the store (SQSDeliveryQueueTests, SQSWebhookTests), not from SQS.
        #expect(Set(all) == sent, "a: \(ra.count), b: \(rb.count)")
        let attributes = try await sqs.queueAttributes(queueURL: q)
        #expect(attributes["ApproximateNumberOfMessages"] == "0" && attributes["ApproximateNumberOfMessagesNotVisible"] == "0", "\(attributes)")
    }

    @Test func anUndeletedMessageComesBackAfterItsVisibilityTimeoutAndADeletedOneNever() async throws {
        let q = try await sqs.createQueue(name: "crash-\(f.tag)", visibilityTimeout: 30)
        try await sqs.send(queueURL: q, body: "handled")
        try await sqs.send(queueURL: q, body: "crashed")
        let first = try await receiveUntil(q, max: 10, visibility: 1) { $0.count >= 2 }
        #expect(Set(first.map(\.body)) == ["handled", "crashed"])
        // The worker finishes one delivery and dies holding the other.
        let handled = try #require(first.first { $0.body == "handled" })
        try await sqs.delete(queueURL: q, receiptHandle: handled.receiptHandle)

        // Another worker gets the crashed one again once its 1 s are up; the deleted one,
        // which had the same timeout, never shows up meanwhile.
        let again = try await receiveUntil(q, visibility: 30) { $0.contains { $0.body == "crashed" } }
        #expect(again.map(\.body) == ["crashed"])
        #expect(again.first?.receiveCount == 2)
        #expect(again.first?.id == first.first { $0.body == "crashed" }?.id)
        try await sqs.delete(queueURL: q, receiptHandle: again[0].receiptHandle)
        let attributes = try await sqs.queueAttributes(queueURL: q)
        #expect(attributes["ApproximateNumberOfMessages"] == "0")
        #expect(attributes["ApproximateNumberOfMessagesNotVisible"] == "0")
    }

    @Test func aFIFOGroupHandsOutItsNextMessageOnlyAfterTheOneInFlightIsDeleted() async throws {
        let q = try await fifoQueue("order")
        try await sqs.send(queueURL: q, body: "one", groupId: "shop/production", deduplicationId: "1")
        try await sqs.send(queueURL: q, body: "two", groupId: "shop/production", deduplicationId: "2")
        try await sqs.send(queueURL: q, body: "other app", groupId: "blog/production", deduplicationId: "3")
        let batch = try await receiveUntil(q) { $0.count >= 2 }
        #expect(Set(batch.map(\.body)) == ["one", "other app"], "one message per group while the first is in flight")
        #expect(try await sqs.receive(queueURL: q, maxMessages: 10, waitSeconds: 1).isEmpty)
        try await sqs.delete(queueURL: q, receiptHandle: try #require(batch.first { $0.body == "one" }).receiptHandle)
        let next = try await receiveUntil(q) { !$0.isEmpty }
        #expect(next.map(\.body) == ["two"])
    }

    @Test func changingVisibilityToZeroHandsTheMessageOutAgainAtOnce() async throws {
        let q = try await fifoQueue("release")
        try await sqs.send(queueURL: q, body: "job", groupId: "g", deduplicationId: "job-1")
        let m = try #require(try await receiveUntil(q) { !$0.isEmpty }.first)
        try await sqs.changeVisibility(queueURL: q, receiptHandle: m.receiptHandle, timeout: 0)
        let again = try await receiveUntil(q, deadline: 10) { !$0.isEmpty }
        #expect(again.map(\.id) == [m.id])
        #expect(again.first?.receiveCount == 2)
    }

    @Test func aFIFOQueueRefusesAMessageWithoutAGroup() async throws {
        let q = try await fifoQueue("nogroup")
        await #expect {
            try await sqs.send(queueURL: q, body: "x")
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .invalidInput && r!.message.contains("SendMessage") && r!.message.contains("MessageGroupId")
        }
    }

    @Test func receiveRefusesAWaitLongerThanTheRequestTimeLimit() async throws {
        let q = try await fifoQueue("limits")
        await #expect(throws: RikerError.self) { _ = try await sqs.receive(queueURL: q, maxMessages: 11) }
        await #expect(throws: RikerError.self) { _ = try await sqs.receive(queueURL: q, waitSeconds: 21) }
        let short = AWSQueryClient(service: .sqs, region: f.moto.region, endpoint: f.moto.endpoint,
                                   credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: f.moto.accessKeyId, secretAccessKey: f.moto.secretAccessKey)),
                                   requestTimeout: 10)
        let e = await #expect(throws: RikerError.self) { _ = try await SQSClient(client: short).receive(queueURL: q, waitSeconds: 20) }
        #expect(e?.code == .invalidInput)
        #expect(e?.message.contains("request time limit") == true)
    }

    @Test func aWrongSecretIsAPermissionErrorWithoutTheSecret() async throws {
        var env = f.moto.environment
        env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        let bad = try SQSClient.fromEnvironment(env)
        #expect(bad.client.endpoint == f.moto.endpoint)
        await #expect {
            _ = try await bad.queueURL(name: "any-\(f.tag)")
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .permissionDenied && r!.message.contains("SQS GetQueueUrl") && !r!.message.contains("not-the-secret")
        }
    }
}
