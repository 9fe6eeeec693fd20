import Foundation
import RikerAWS
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// The SQS delivery queue against a real moto_server (SQS and an S3 store, signatures checked):
/// several servers ("queues" here, each with its own holder) sharing one queue and one store.
@Suite struct SQSDeliveryQueueTests {
    let moto: MotoServer
    let sqs: SQSClient
    let store: S3ReleaseStore
    let tag = UUID().uuidString.prefix(8).lowercased()

    init() async throws {
        moto = try MotoServer.shared()
        var config = try S3Configuration.fromEnvironment(moto.environment)
        config.retry = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.3)
        let s3 = S3Client(configuration: config, credentials: AWSCredentialChain(environment: moto.environment))
        let bucket = "riker-sqs-\(tag)"
        try await s3.createBucket(bucket)
        store = S3ReleaseStore(bucket: bucket, prefix: "riker", client: s3)
        sqs = try SQSClient.fromEnvironment(moto.environment)
    }

    /// A standard queue unless `fifo` (the queue logic is the same; serve requires FIFO for its groups).
    func queue(_ label: String, visibility: Int = 30, fifo: Bool = false) async throws -> String {
        try await sqs.createQueue(name: "\(label)-\(tag)" + (fifo ? ".fifo" : ""), visibilityTimeout: visibility)
    }

    /// A server's queue: visibility and claim lease short enough for a test.
    func server(_ url: String, visibility: Int = 30, wait: Int = 1, lease: Double? = nil) -> SQSDeliveryQueue {
        SQSDeliveryQueue(sqs: sqs, queueURL: url, store: store,
                         configuration: .init(visibilityTimeout: visibility, waitSeconds: wait, claimLease: lease))
    }

    func delivery(_ id: String = UUID().uuidString.lowercased(), at seconds: Double = 0) -> Delivery {
        Delivery(id: id, app: "web", env: "production", branch: "main", ref: "refs/heads/main",
                 commit: String(repeating: "a", count: 40), cloneURL: "file:///src", buildID: BuildID.make(),
                 receivedAt: Date(timeIntervalSince1970: 1_700_000_000 + seconds))
    }

    /// `receive()` with a generous deadline, so a broken queue fails the test instead of hanging it.
    func receive(_ q: SQSDeliveryQueue, deadline: Double = 90) async throws -> [ReceivedDelivery] {
        let task = Task { try await q.receive() }
        let timer = Task { try await Task.sleep(nanoseconds: UInt64(deadline * 1e9)); task.cancel() }
        defer { timer.cancel() }
        return try await task.value
    }

    /// Messages in the queue, visible or not.
    func messagesIn(_ url: String) async throws -> Int {
        let a = try await sqs.queueAttributes(queueURL: url)
        return (Int(a["ApproximateNumberOfMessages"] ?? "") ?? -1) + (Int(a["ApproximateNumberOfMessagesNotVisible"] ?? "") ?? -1)
    }

    @Test func anIdIsAcceptedOnceAcrossServersAndRestarts() async throws {
        let url = try await queue("dedup")
        let a = server(url), b = server(url)
        let d = delivery()
        let outcomes = try await withThrowingTaskGroup(of: EnqueueOutcome.self) { group in
            for i in 0..<12 {
                var copy = d
                copy.buildID = "copy-\(i)"
                let q = i.isMultiple(of: 2) ? a : b
                group.addTask { try await q.enqueue(i == 0 ? d : copy) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .accepted }.count == 1)
        let duplicates = outcomes.compactMap { if case .duplicate(let e) = $0 { return e } else { return nil } }
        #expect(duplicates.count == 11)
        // Every copy is answered with the one accepted delivery's build.
        #expect(Set(duplicates.map(\.buildID)).count == 1)
        #expect(try await messagesIn(url) == 1, "one message sent for twelve copies")

        // A server started later (the store keeps the ids, not SQS's 5-minute window) says the same.
        var late = d
        late.buildID = "after-restart"
        #expect(try await server(url).enqueue(late) == .duplicate(duplicates[0]))
        let record = try await store.get(StoreLayout.webhookDelivery(d.id))
        #expect(record != nil)
    }

    @Test func twoServersReceivingTogetherEachGetADifferentDeliveryAndNoneTwice() async throws {
        let url = try await queue("share")
        let a = server(url), b = server(url)
        let ids = (0..<6).map { "d\($0)-\(tag)" }
        for (i, id) in ids.enumerated() { #expect(try await (i.isMultiple(of: 2) ? a : b).enqueue(delivery(id, at: Double(i))) == .accepted) }

        // Both servers long-poll at once until every delivery has been handed out.
        let got = Collected()
        let loops = [a, b].enumerated().map { (i, q) in
            Task { while await got.total < ids.count { await got.add(try await q.receive(), server: i) } }
        }
        let deadline = Date().addingTimeInterval(120)
        while await got.total < ids.count, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        for loop in loops { loop.cancel(); _ = await loop.result }
        let gotA = await got.byServer[0] ?? [], gotB = await got.byServer[1] ?? []
        #expect(Set(gotA.map(\.delivery.id)).isDisjoint(with: gotB.map(\.delivery.id)))
        #expect((gotA + gotB).map(\.delivery.id).sorted() == ids.sorted())
        for r in gotA { try await a.complete(r) }
        for r in gotB { try await b.complete(r) }
        #expect(try await messagesIn(url) == 0)
        #expect(a.holding.isEmpty && b.holding.isEmpty)
    }

    @Test func onAFIFOQueueAnAppEnvIsHandedToOneServerAtATime() async throws {
        let url = try await queue("groups", fifo: true)
        let a = server(url), b = server(url)
        let first = delivery(at: 1), second = delivery(at: 2)
        _ = try await a.enqueue(first)
        let held = try await receive(a)
        #expect(held.map(\.delivery.id) == [first.id])
        // The next delivery of the same app env waits while A builds (its message group is busy).
        _ = try await b.enqueue(second)
        #expect(try await b.poll().isEmpty)
        try await a.complete(held[0])
        let next = try await receive(b)
        #expect(next.map(\.delivery.id) == [second.id])
        try await b.complete(next[0])
    }

    @Test func aMessageThatComesBackWhileAServerBuildsItIsNotHandedToAnother() async throws {
        let url = try await queue("claimed")
        let a = server(url), b = server(url)
        let d = delivery()
        _ = try await a.enqueue(d)
        let held = try await receive(a)
        #expect(held.map(\.delivery.id) == [d.id])

        // The visibility timeout ends (made to end now): SQS hands the message to B, whose claim fails.
        try await sqs.changeVisibility(queueURL: url, receiptHandle: held[0].receipt, timeout: 0)
        let again = try await b.poll()
        #expect(again.count == 1)
        #expect(try await b.take(again[0]) == nil, "A's claim is live: B must not build it")
        #expect(b.holding.isEmpty)

        // A finishes. A copy seen after that is dropped, not built.
        try await a.complete(held[0])
        // (Deleting with A's older receipt handle may or may not have removed it.)
        try? await sqs.changeVisibility(queueURL: url, receiptHandle: again[0].receiptHandle, timeout: 0)
        for message in try await b.poll() { #expect(try await b.take(message) == nil) }
        #expect(try await messagesIn(url) == 0)
    }

    @Test func whileAServerHoldsADeliveryItStaysHiddenPastTheVisibilityTimeout() async throws {
        let url = try await queue("heartbeat", visibility: 6)
        let a = server(url, visibility: 6), b = server(url, visibility: 6, wait: 4)
        let d = delivery()
        _ = try await a.enqueue(d)
        let held = try await receive(a)
        #expect(held.count == 1)
        // Three long polls of 4 s span twice the visibility timeout: A's heartbeat keeps the message hidden.
        for _ in 0..<3 { #expect(try await b.poll().isEmpty) }
        try await a.complete(held[0])
        #expect(try await messagesIn(url) == 0)
    }

    @Test func aDeliveryOfAServerThatStoppedRenewingIsTakenOverByAnother() async throws {
        let url = try await queue("takeover", visibility: 2)
        // A claims without a heartbeat (take without receive): a server that died mid-build.
        let a = server(url, visibility: 2, lease: 2), b = server(url, visibility: 2, lease: 2)
        let d = delivery()
        _ = try await a.enqueue(d)
        var first: [SQSMessage] = []
        while first.isEmpty { first = try await a.poll() }
        #expect(try await a.take(first[0])?.delivery.id == d.id)

        let taken = try await receive(b)
        #expect(taken.map(\.delivery.id) == [d.id])
        try await b.complete(taken[0])
        #expect(try await messagesIn(url) == 0)
        let claim = try #require(try await store.get(StoreLayout.webhookClaim(d.id)))
        let decoded = try JSONCoding.decode(DeliveryClaim.self, from: claim.data, what: "claim")
        #expect(decoded.done && decoded.holder == b.holder)
    }

    @Test func aReleasedDeliveryIsHandedToTheNextServerAtOnce() async throws {
        let url = try await queue("release", visibility: 600)
        let a = server(url, visibility: 600), b = server(url, visibility: 600)
        let d = delivery()
        _ = try await a.enqueue(d)
        let held = try await receive(a)
        await a.release(held[0])
        // Without the release B would wait ten minutes for the visibility timeout and the claim.
        let next = try await receive(b, deadline: 60)
        #expect(next.map(\.delivery.id) == [d.id])
        try await b.complete(next[0])
    }

    @Test func aReceiveWaitingOnAnEmptyQueueEndsWhenCancelled() async throws {
        let url = try await queue("cancel")
        let a = server(url, wait: 20)
        let waiting = Task { try await a.receive() }
        try await Task.sleep(nanoseconds: 200_000_000)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func aDeliveryThatCouldNotBeSentIsNotRememberedSoItsRedeliveryIsAccepted() async throws {
        let url = try await queue("unsent")
        let gone = url + "-missing"
        let d = delivery()
        await #expect(throws: RikerError.self) { _ = try await server(gone).enqueue(d) }
        #expect(try await store.get(StoreLayout.webhookDelivery(d.id)) == nil)
        #expect(try await server(url).enqueue(d) == .accepted)
    }

    @Test func theQueueSettingOpensANamedQueueAndRefusesBadValuesInOneLine() async throws {
        let url = try await queue("setting", fifo: true)
        let opened = try await DeliveryQueueSetting.open("sqs://setting-\(tag).fifo", store: store, environment: moto.environment)
        #expect((opened as? SQSDeliveryQueue)?.queueURL == url)
        let byURL = try await DeliveryQueueSetting.open("sqs://\(url)", store: store, environment: moto.environment)
        #expect((byURL as? SQSDeliveryQueue)?.queueURL == url)
        #expect(try await DeliveryQueueSetting.open(nil, store: store, environment: moto.environment) == nil)
        #expect(try await DeliveryQueueSetting.open("spool", store: store, environment: moto.environment) == nil)

        await #expect {
            _ = try await DeliveryQueueSetting.open("sqs://missing-\(tag).fifo", store: store, environment: moto.environment)
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .notFound && r!.message.hasPrefix("riker.conf: queue=sqs://missing-\(tag).fifo") && !r!.message.contains("\n")
        }
    }

    @Test(arguments: ["redis://q", "sqs://", "sqs://bad name", "sqs://a/b", "sqs://https://", "sqs://" + String(repeating: "q", count: 81),
                      "sqs://standard", "sqs://https://sqs.eu-west-1.amazonaws.com/123456789012/standard"])
    func aBadQueueValueIsRefusedNamingTheSetting(_ value: String) throws {
        #expect {
            _ = try DeliveryQueueSetting.parse(value)
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .invalidInput && r!.message.hasPrefix("riker.conf: queue=") && r!.message.contains(".fifo") && !r!.message.contains("\n")
        }
    }

    @Test func queueValuesParse() throws {
        #expect(try DeliveryQueueSetting.parse("sqs://builds.fifo") == .sqsName("builds.fifo"))
        #expect(try DeliveryQueueSetting.parse(nil) == .spool)
        #expect(try DeliveryQueueSetting.parse(" spool ") == .spool)
        #expect(try DeliveryQueueSetting.parse("sqs://https://sqs.eu-west-1.amazonaws.com/123456789012/builds.fifo")
            == .sqsURL("https://sqs.eu-west-1.amazonaws.com/123456789012/builds.fifo"))
    }
}

/// What each of several receiving servers got.
actor Collected {
    var byServer: [Int: [ReceivedDelivery]] = [0: [], 1: []]
    var total: Int { byServer.values.reduce(0) { $0 + $1.count } }
    func add(_ items: [ReceivedDelivery], server: Int) { byServer[server, default: []] += items }
}
