import Foundation
import RikerCore
@testable import RikerServer
import RikerTestSupport
import Testing

/// The spool: durable, idempotent on the delivery id, across restarts, and bounded.
@Suite struct SpoolDeliveryQueueTests {
    func delivery(_ id: String, at seconds: Double = 0) -> Delivery {
        Delivery(id: id, app: "web", env: "production", branch: "main", ref: "refs/heads/main",
                 commit: String(repeating: "a", count: 40), buildID: BuildID.make(), receivedAt: Date(timeIntervalSince1970: 1_700_000_000 + seconds))
    }

    @Test func acceptsAnIdOnceEvenWhenCopiesArriveTogether() async throws {
        let temp = try TempDir("riker-spool")
        defer { temp.remove() }
        let spool = try SpoolDeliveryQueue(directory: temp.url)
        let d = delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        let outcomes = try await withThrowingTaskGroup(of: EnqueueOutcome.self) { group in
            for _ in 0..<16 { group.addTask { try await spool.enqueue(d) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .accepted }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate(d) }.count == 15)
    }

    @Test func handsOutOldestFirstOnceAndAgainAfterARestart() async throws {
        let temp = try TempDir("riker-spool")
        defer { temp.remove() }
        let spool = try SpoolDeliveryQueue(directory: temp.url)
        _ = try await spool.enqueue(delivery("b", at: 2))
        _ = try await spool.enqueue(delivery("a", at: 1))
        let got = try await spool.receive()
        #expect(got.map(\.delivery.id) == ["a", "b"])
        try await spool.complete(got[0])

        // "b" is claimed: a second receive waits (and is cancelled here) instead of handing it out again.
        let waiting = Task { try await spool.receive() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }

        // The process dies with "b" claimed but not built: a new spool hands it out; "a" is done.
        let reopened = try SpoolDeliveryQueue(directory: temp.url)
        #expect(reopened.unfinished == ["b"])
        #expect(try await reopened.receive().map(\.delivery.id) == ["b"])
        #expect(try await reopened.enqueue(delivery("a")) != .accepted, "ids are kept across restarts")
    }

    @Test func releasedDeliveriesAreHandedOutAgain() async throws {
        let temp = try TempDir("riker-spool")
        defer { temp.remove() }
        let spool = try SpoolDeliveryQueue(directory: temp.url)
        _ = try await spool.enqueue(delivery("a"))
        let got = try await spool.receive()
        await spool.release(got[0])
        #expect(try await spool.receive().map(\.delivery.id) == ["a"])
    }

    @Test func completedIdsArePrunedAfterTheRetention() async throws {
        let temp = try TempDir("riker-spool")
        defer { temp.remove() }
        let spool = try SpoolDeliveryQueue(directory: temp.url, retention: 3600)
        _ = try await spool.enqueue(delivery("old"))
        _ = try await spool.enqueue(delivery("recent"))
        let got = try await spool.receive()
        for r in got { try await spool.complete(r) }
        // "old" was completed long ago.
        let past = Date().addingTimeInterval(-7200)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: temp.path("old.done").path)

        let reopened = try SpoolDeliveryQueue(directory: temp.url, retention: 3600)
        #expect(!FileManager.default.fileExists(atPath: temp.path("old.json").path))
        #expect(try await reopened.enqueue(delivery("recent")) != .accepted)
        #expect(try await reopened.enqueue(delivery("old")) == .accepted, "a pruned id is forgotten")
    }

    @Test func refusesIdsThatAreNotSafeFileNames() async throws {
        let temp = try TempDir("riker-spool")
        defer { temp.remove() }
        let spool = try SpoolDeliveryQueue(directory: temp.url)
        for bad in ["../x", "a/b", "", String(repeating: "a", count: 65), "-rf"] {
            await #expect(throws: RikerError.self) { try await spool.enqueue(self.delivery(bad)) }
        }
    }
}
