import Foundation
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// The build queue behind the webhook: one build per app env at a time, coalescing, the
/// newest commit winning, and nothing accepted lost across a restart.
@Suite(.timeLimit(.minutes(3))) struct BuildQueueTests {
    @Test func pushesArrivingDuringABuildCoalesceIntoOneBuildOfTheTip() async throws {
        try await withHarness { h in
            let c1 = try await h.source.commit("one")
            try await h.start()
            await h.runner.hold()
            let first = try await h.deliver(try h.push(ref: "refs/heads/main", after: c1))
            await h.runner.waitForJobs(1)

            let c2 = try await h.source.commit("two")
            let second = try await h.deliver(try h.push(ref: "refs/heads/main", after: c2, before: c1))
            let c3 = try await h.source.commit("three")
            let third = try await h.deliver(try h.push(ref: "refs/heads/main", after: c3, before: c2))
            #expect([first.status, second.status, third.status] == [Int](repeating: 202, count: 3))
            let queued = try await h.get("/builds/\(second.string("build")!)")
            #expect(queued.string("status") == "queued")
            await h.finished.waitForWaiting(2)

            await h.runner.release()
            await h.finished.waitFor(3)
            #expect(await h.runner.jobs.map(\.commit) == [c1, c3])
            let lead = try #require(third.string("build"))
            let carried = try #require(await h.finished.record(second.string("build")!))
            #expect(carried.status == .succeeded)
            #expect(carried.coalescedInto == lead)
            #expect(carried.commit == c3)
            #expect(carried.requestedCommit == c2)
            #expect(await h.runner.jobs.last?.coalesced == [second.string("build")!])
            #expect(try await h.store.releases("web", "production").sorted { $0.version < $1.version }.map(\.commit) == [c1, c3])
        }
    }

    @Test func outOfOrderDeliveriesEndOnTheNewestCommit() async throws {
        try await withHarness { h in
            let c1 = try await h.source.commit("one")
            let c2 = try await h.source.commit("two")
            try await h.start()
            // GitHub sends c1's push first, but it arrives after c2's.
            let newer = try await h.deliver(try h.push(ref: "refs/heads/main", after: c2, before: c1))
            await h.finished.waitFor(1)
            let older = try await h.deliver(try h.push(ref: "refs/heads/main", after: c1))
            #expect([newer.status, older.status] == [Int](repeating: 202, count: 2))
            await h.finished.waitFor(2)

            #expect(await h.runner.jobs.map(\.commit) == [c2], "the late, older delivery must not build or deploy c1")
            let late = try #require(await h.finished.record(older.string("build")!))
            #expect(late.status == .succeeded)
            #expect(late.commit == c2)
            #expect(late.note?.contains("already deployed") == true)
            let (version, _) = try await h.store.current("web", "production")
            #expect(try await h.store.release("web", "production", try #require(version))?.commit == c2)
        }
    }

    @Test func differentAppEnvsBuildInParallel() async throws {
        try await withHarness { h in
            try await h.source.commit("one")
            let staging = try await h.source.commit("staging", branch: "staging")
            let main = try await h.source.commit("two", branch: "main")
            try await h.start()
            await h.runner.hold()
            _ = try await h.deliver(try h.push(ref: "refs/heads/main", after: main))
            _ = try await h.deliver(try h.push(ref: "refs/heads/staging", after: staging))
            // Both start while the first is still held: they do not wait for each other.
            await h.runner.waitForJobs(2)
            #expect(Set(await h.runner.jobs.map(\.env)) == ["production", "staging"])
            await h.runner.release()
            await h.finished.waitFor(2)
        }
    }

    @Test func aDeliverySpooledButNotBuiltIsBuiltAfterARestart() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("one")
            // The server accepts the delivery and dies before building it.
            try await h.start(builds: false)
            let a = try await h.deliver(try h.push(ref: "refs/heads/main", after: commit))
            #expect(a.status == 202)
            try await h.stop()
            #expect(try SpoolDeliveryQueue(directory: h.paths.webhookSpool).unfinished.count == 1)
            #expect(await h.runner.jobs.isEmpty)

            try await h.start()
            await h.finished.waitFor(1)
            #expect(await h.runner.jobs.map(\.commit) == [commit])
            #expect(await h.finished.records.map(\.id) == [a.string("build")!])
            try await h.stop()
            #expect(try SpoolDeliveryQueue(directory: h.paths.webhookSpool).unfinished.isEmpty)
        }
    }

    @Test func aBuildFailureIsRecordedWithItsReason() async throws {
        try await withHarness { h in
            try await h.store.updateApp("web") { $0.settings["webhook.repo"] = "file:///nonexistent/repo.git" }
            try await h.start()
            let a = try await h.deliver(try h.push(ref: "refs/heads/main", after: String(repeating: "a", count: 40)))
            #expect(a.status == 202)
            await h.finished.waitFor(1)
            let record = try #require(await h.finished.records.first)
            #expect(record.status == .failed)
            #expect(record.error?.isEmpty == false)
            #expect(await h.runner.jobs.isEmpty)
            let served = try await h.get("/builds/\(record.id)")
            #expect(served.string("status") == "failed")
            #expect(served.string("error") == record.error)
        }
    }

    @Test func webhooksAreAnsweredWhileEveryBuildSlotIsBlocked() async throws {
        try await withHarness { h in
            // As many blocking builds as the scheduler runs at once (one per core), each in its own env.
            let slots = max(1, ProcessInfo.processInfo.activeProcessorCount)
            try await h.store.updateApp("web") { s in
                for i in 0..<slots { s.settings["branch.b\(i)"] = "e\(i)" }
            }
            var commits: [String] = []
            for i in 0..<slots { commits.append(try await h.source.commit("b\(i)", branch: "b\(i)")) }
            let runner = ThreadBlockingRunner()
            try await h.start(runner: runner)
            for i in 0..<slots {
                let a = try await h.deliver(try h.push(ref: "refs/heads/b\(i)", after: commits[i]))
                #expect(a.status == 202, "\(a.text)")
            }
            await runner.waitForStarted(slots)

            // Every build is blocked on its thread; the server still answers.
            let ping = try await h.deliver(try WebhookHarness.payload("ping-payload.json"), event: "ping")
            #expect(ping.status == 200)
            #expect(try await h.get("/apps/web/builds").status == 200)

            runner.unblock(slots)
            await h.finished.waitFor(slots)
        }
    }
}
