import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerDeploy

/// In-memory group and target group: records every call and the fewest targets ever registered.
final class MemoryFleet: Fleet, @unchecked Sendable {
    let lock = NSLock()
    var members: [FleetInstance]
    var registered: Set<String>
    var fewestRegistered: Int
    var calls: [String] = []

    init(_ ids: [String]) {
        members = ids.map { FleetInstance(id: $0, lifecycleState: "InService") }
        registered = Set(ids)
        fewestRegistered = ids.count
    }

    var name: String { "group web-asg" }
    var targetGroups: [String] { ["tg-1"] }
    func instances() async throws -> [FleetInstance] { lock.withLock { members } }
    func deregister(_ ids: [String], from targetGroup: String) async throws {
        lock.withLock {
            calls.append("deregister \(ids.joined(separator: ","))")
            registered.subtract(ids)
            fewestRegistered = min(fewestRegistered, registered.count)
        }
    }
    func register(_ ids: [String], in targetGroup: String) async throws {
        lock.withLock { calls.append("register \(ids.joined(separator: ","))"); registered.formUnion(ids) }
    }
    func targetHealth(_ ids: [String], in targetGroup: String) async throws -> [String: String] {
        lock.withLock { Dictionary(uniqueKeysWithValues: ids.map { ($0, registered.contains($0) ? "healthy" : "unused") }) }
    }
    func drainSeconds(targetGroup: String) async throws -> Double? { 0 }
    func address(_ statuses: [InstanceStatus]) -> String { "\(statuses.count) instances" }
    func remove(_ id: String) { lock.withLock { members.removeAll { $0.id == id } } }
}

/// Agents that answer `desired` through the store as riker-agent does, in-process.
final class SimulatedAgents: @unchecked Sendable {
    let store: any ReleaseStore
    let app: String, env: String
    let failing: Set<Int>
    let silent: Set<String>
    var tasks: [Task<Void, Never>] = []

    init(store: any ReleaseStore, app: String, env: String, ids: [String], running: Int, failing: Set<Int> = [], silent: Set<String> = []) {
        self.store = store; self.app = app; self.env = env; self.failing = failing; self.silent = silent
        for id in ids {
            tasks.append(Task { [store] in
                var current = running
                var answered = ""
                while !Task.isCancelled {
                    if !silent.contains(id), let d = try? await store.desired(app, env, instance: id), d.deploy != answered {
                        answered = d.deploy
                        let ok = !failing.contains(d.release)
                        if ok { current = d.release }
                        try? await store.writeStatus(app, env, InstanceStatus(
                            instance: id, release: current, target: ok ? nil : d.release, state: ok ? .running : .failed,
                            healthy: true, address: nil, error: ok ? nil : "web did not answer", deploy: d.deploy))
                    }
                    try? await Task.sleep(nanoseconds: 10_000_000)
                }
            })
        }
    }

    func stop() { tasks.forEach { $0.cancel() } }
}

@Suite struct RollingDeployTests {
    func setUp(_ dir: TempDir, settings: [String: String]) async throws -> (LocalReleaseStore, Release, Release) {
        let store = LocalReleaseStore(directory: dir.path("store"))
        try await store.createApp(AppSettings(name: "web", settings: ["target": "asg", "asg.name": "web-asg", "asg.target_groups": "tg-1"].merging(settings) { _, b in b }))
        func rel(_ v: Int) -> Release {
            Release(version: v, app: "web", env: "production", commit: String(repeating: "\(v)", count: 40), ref: "refs/heads/main",
                    builder: "buildpack:procfile", processTypes: ["web": "x"], artifact: "a", sha256: "s", size: 1,
                    config: [:], createdBy: "t", description: "")
        }
        let v1 = try await store.createRelease(rel(1))
        let v2 = try await store.createRelease(rel(2))
        try await store.setCurrent("web", "production", to: 1, expected: nil)
        return (store, v1, v2)
    }

    /// Runs `rollout` of a `RollingDeploy` on a manual clock, moving the clock on in 200 ms steps
    /// until the rollout ends, so timeouts pass in clock time, not real time.
    func roll(_ store: LocalReleaseStore, _ fleet: MemoryFleet, _ release: Release, previous: Release, context: DeployContext) async throws -> String {
        let clock = ManualClock()
        let settings = try DeploySettings(try await store.app("web")!.settings, env: "production")
        let done = DoneFlag()
        let task = Task {
            defer { done.set() }
            return try await RollingDeploy(store: store, fleet: fleet, settings: settings, clock: clock).rollout(release, previous: previous, context: context)
        }
        await clock.advance(by: .milliseconds(200), until: { done.isSet })
        return try await task.value
    }

    func context(_ store: any ReleaseStore, release: Int) -> DeployContext {
        DeployContext(id: "d-\(UUID().uuidString.prefix(6))", output: .null, store: store,
                      record: DeployRecord(id: "d", app: "web", env: "production", release: release, previous: 1, target: "asg"))
    }

    @Test func rollsEveryInstanceInBatchesKeepingMinHealthy() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let (store, v1, v2) = try await setUp(dir, settings: ["deploy.batch": "2", "deploy.min_healthy": "60", "deploy.timeout_seconds": "10"])
        let ids = (1...6).map { "i-\($0)" }
        let fleet = MemoryFleet(ids)
        let agents = SimulatedAgents(store: store, app: "web", env: "production", ids: ids, running: 1)
        defer { agents.stop() }
        let ctx = context(store, release: 2)
        _ = try await roll(store, fleet, v2, previous: v1, context: ctx)
        for id in ids { #expect(try await store.status("web", "production", instance: id)?.release == 2) }
        #expect(fleet.fewestRegistered == 4)
        #expect(fleet.registered == Set(ids))
        #expect(ctx.record.batches.count == 3)
        #expect(ctx.record.batches.allSatisfy { $0.outcome == .succeeded })
        #expect(fleet.calls.first == "deregister i-1,i-2")
    }

    @Test func aFailingReleaseStopsAtTheFirstBatchAndRollsItBack() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let (store, v1, v2) = try await setUp(dir, settings: ["deploy.batch": "1", "deploy.timeout_seconds": "10"])
        let ids = ["i-1", "i-2", "i-3"]
        let fleet = MemoryFleet(ids)
        let agents = SimulatedAgents(store: store, app: "web", env: "production", ids: ids, running: 1, failing: [2])
        defer { agents.stop() }
        await #expect(throws: RikerError.self) {
            try await roll(store, fleet, v2, previous: v1, context: context(store, release: 2))
        }
        #expect(try await store.desired("web", "production", instance: "i-1")?.release == 1)
        #expect(try await store.desired("web", "production", instance: "i-2") == nil)
        #expect(try await store.desired("web", "production", instance: "i-3") == nil)
        #expect(fleet.registered == Set(ids))
    }

    @Test func aSilentAgentTimesOutAndIsRolledBack() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        // The agent's health check has 60 s and the deploy 30 s more: all of it clock time here.
        let (store, v1, v2) = try await setUp(dir, settings: ["deploy.batch": "1", "deploy.timeout_seconds": "60"])
        let ids = ["i-1", "i-2", "i-3"]
        let fleet = MemoryFleet(ids)
        let agents = SimulatedAgents(store: store, app: "web", env: "production", ids: ids, running: 1, silent: ["i-2"])
        defer { agents.stop() }
        await #expect {
            try await roll(store, fleet, v2, previous: v1, context: context(store, release: 2))
        } throws: { ($0 as? RikerError)?.message.contains("i-2 did not report v2 healthy within 90s") == true }
        #expect(try await store.desired("web", "production", instance: "i-1")?.release == 1)
        #expect(fleet.registered == Set(ids))
    }

    @Test func aBatchThatWouldBreakMinHealthyChangesNothing() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let (store, v1, v2) = try await setUp(dir, settings: ["deploy.batch": "3", "deploy.min_healthy": "50"])
        let fleet = MemoryFleet(["i-1", "i-2", "i-3"])
        await #expect(throws: RikerError.self) {
            try await roll(store, fleet, v2, previous: v1, context: context(store, release: 2))
        }
        #expect(fleet.calls.isEmpty)
        #expect(try await store.instanceIDs("web", "production").isEmpty)
    }
}

/// Set once when a task is done; read from anywhere.
final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
