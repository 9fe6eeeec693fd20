import Foundation
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// The metrics derived from the store and from the build queue, as Prometheus text that
/// promtool accepts (`/metrics` of a real serve is tested in IntegrationTests/MetricsTests).
@Suite struct ServerMetricsTests {
    func record(_ id: String, _ outcome: DeployRecord.Outcome, seconds: Double = 12) -> DeployRecord {
        var r = DeployRecord(id: id, app: "web", env: "production", release: 2, previous: 1, target: "local")
        r.outcome = outcome
        if outcome != .running { r.finishedAt = r.startedAt.addingTimeInterval(seconds) }
        return r
    }

    func checked(_ metrics: ServerMetrics) throws -> String {
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let check = try sh("promtool", ["check", "metrics"], stdin: text)
        #expect(check.succeeded, "promtool: \(check.output)\n\(text)")
        return text
    }

    @Test func deployRecordsAreCountedOnceByOutcomeAndRunningOnesWhenTheyFinish() async throws {
        let temp = try TempDir("metrics")
        defer { temp.remove() }
        let metrics = ServerMetrics()
        let store = MeteredStore(LocalReleaseStore(directory: temp.path("store")), metrics: metrics)
        try await store.createApp(AppSettings(name: "web"))
        try await store.saveDeploy(record("d1", .succeeded))
        try await store.saveDeploy(record("d2", .rolledBack))
        try await store.saveDeploy(record("d3", .running))
        try await store.writeStatus("web", "production", InstanceStatus(instance: "i-1", release: 2, target: nil, state: .running, healthy: true, address: nil))
        try await store.writeStatus("web", "production", InstanceStatus(instance: "i-2", release: 1, target: 2, state: .failed, healthy: false, address: nil))
        let scan = StoreMetricsScan(store: store, metrics: metrics)

        await scan.refresh()
        await scan.refresh()
        var text = try checked(metrics)
        #expect(text.contains(#"riker_deploys_total{app="web",env="production",outcome="succeeded"} 1"#), "\(text)")
        #expect(text.contains(#"riker_deploys_total{app="web",env="production",outcome="rolled_back"} 1"#))
        #expect(text.contains(#"riker_rollbacks_total{app="web",env="production",kind="automatic"} 1"#))
        #expect(text.contains(#"riker_deploys_running{app="web",env="production"} 1"#))
        #expect(text.contains(#"riker_agents{app="web",env="production",state="running"} 1"#))
        #expect(text.contains(#"riker_agents{app="web",env="production",state="failed"} 1"#))
        #expect(text.contains(#"riker_agents_healthy{app="web",env="production"} 1"#))
        #expect(text.contains("riker_deploy_duration_seconds_count 2"))
        #expect(text.contains(#"riker_deploy_duration_seconds_bucket{le="30.0"} 2"#) || text.contains(#"riker_deploy_duration_seconds_bucket{le="30"} 2"#), "\(text)")

        try await store.saveDeploy(record("d3", .failed))
        await scan.refresh()
        text = try checked(metrics)
        #expect(text.contains(#"riker_deploys_total{app="web",env="production",outcome="failed"} 1"#))
        #expect(text.contains(#"riker_deploys_running{app="web",env="production"} 0"#))
        #expect(text.contains(#"riker_store_requests_total{operation="list"}"#))
    }

    @Test func buildsAreCountedOnceByOutcomeAndTheQueueDepthFollowsTheScheduler() async throws {
        let metrics = ServerMetrics()
        let delivery = Delivery(id: "x", app: "web", env: "production", branch: "main", ref: "refs/heads/main", commit: "abc",
                                buildID: BuildID.make())
        var built = BuildRecord(queued: delivery)
        built.status = .failed
        built.startedAt = Date()
        built.finishedAt = built.startedAt!.addingTimeInterval(40)
        var carried = built
        carried.coalescedInto = "other"
        await metrics.buildFinished(built)
        await metrics.buildFinished(carried)
        await metrics.waitingChanged(3)
        let text = try checked(metrics)
        #expect(text.contains(#"riker_builds_total{app="web",outcome="failed"} 1"#), "\(text)")
        #expect(text.contains("riker_build_duration_seconds_count 1"))
        #expect(text.contains("riker_webhook_queue_depth 3"))
    }

    @Test func aStoreThatFailsCountsAsErrorsButALostConditionalWriteDoesNot() async throws {
        let temp = try TempDir("metrics")
        defer { temp.remove() }
        let metrics = ServerMetrics()
        let store = MeteredStore(LocalReleaseStore(directory: temp.path("store")), metrics: metrics)
        try await store.put("a/b", Data("1".utf8), condition: .ifAbsent)
        await #expect(throws: RikerError.self) { try await store.put("a/b", Data("2".utf8), condition: .ifAbsent) }
        await #expect(throws: RikerError.self) { try await store.get("../escape") }
        let text = try checked(metrics)
        #expect(text.contains(#"riker_store_requests_total{operation="put"} 2"#), "\(text)")
        #expect(!text.contains(#"riker_store_errors_total{operation="put"}"#))
        #expect(text.contains(#"riker_store_errors_total{operation="get"} 1"#))
    }
}
