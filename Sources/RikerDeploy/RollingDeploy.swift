import Foundation
import RikerCore
import RikerRelease

/// The one rollout path (DESIGN.md §6): rolls a release across a `Fleet` batch by batch, the
/// same way on this machine (`LocalFleet`) and on an Auto Scaling Group (`AWSFleet`).
///
/// Per batch: deregister from the target groups and wait the drain delay, write `desired`,
/// wait until every agent reports the release running and healthy, register back and wait
/// for target health. Any failure stops the deploy and puts every touched instance back on
/// the previous release (re-registered); the `Deployer` then moves `current` back.
public struct RollingDeploy: DeployTarget {
    public let store: any ReleaseStore
    public let fleet: any Fleet
    public let settings: DeploySettings
    public let clock: any Clock<Duration>
    /// How often agent statuses and target health are polled.
    public var pollInterval: Duration = .milliseconds(200)
    /// Time an agent gets on top of the health-check timeout to download and unpack a release.
    public var installAllowance: Double = 30

    public init(store: any ReleaseStore, fleet: any Fleet, settings: DeploySettings, clock: any Clock<Duration> = ContinuousClock()) {
        self.store = store; self.fleet = fleet; self.settings = settings; self.clock = clock
    }

    public func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String {
        let out = context.output
        let ids = try await fleet.instances().filter(\.inService).map(\.id).sorted()
        let plan = try DeployPlan.make(instances: ids, batch: settings.batch, minHealthyPercent: settings.minHealthyPercent,
                                       takesOutOfService: !fleet.targetGroups.isEmpty)
        guard !ids.isEmpty else {
            out.detail("\(fleet.name) has no InService instances; new ones will start \(release.name)")
            return "\(fleet.name) (no instances yet)"
        }
        if ids.count > 1 {
            out.step("Deploying \(release.name) to \(ids.count) instances in \(plan.batches.count) batch\(plan.batches.count == 1 ? "" : "es")")
        }
        let watcher = StoreWatcher(store: store)
        var touched: [String] = []
        var outOfService = Set<String>()
        var statuses: [InstanceStatus] = []
        do {
            for (index, batch) in plan.batches.enumerated() {
                await context.update { $0.batches.append(.init(instances: batch)) }
                if !fleet.targetGroups.isEmpty {
                    for tg in fleet.targetGroups { try await fleet.deregister(batch, from: tg) }
                    outOfService.formUnion(batch)
                    for id in batch { await context.event(id, release: release.version, "deregistered") }
                    // Saved now (events alone are saved at most once a second), so the page shows the batch draining.
                    await context.update { _ in }
                    let drain = try await drainDelay()
                    if drain > 0 { try await clock.sleep(for: .seconds(drain)) }
                }
                touched += batch
                try await PhaseTrace.measure("rollout.set-desired") {
                    for id in batch {
                        try await store.setDesired(release.app, release.env, instance: id, DesiredRelease(release: release.version, deploy: context.id))
                    }
                    await fleet.desiredWritten(batch)
                }
                statuses += try await PhaseTrace.measure("rollout.wait-agents") {
                    try await waitForAgents(batch, release: release, deploy: context.id, watcher: watcher, context: context)
                }
                if !fleet.targetGroups.isEmpty {
                    for tg in fleet.targetGroups { try await fleet.register(batch, in: tg) }
                    try await waitForTargets(batch)
                    outOfService.subtract(batch)
                    for id in batch { await context.event(id, release: release.version, "in service") }
                }
                await context.update { $0.batches[index].outcome = .succeeded; $0.batches[index].finishedAt = Date() }
            }
        } catch {
            if ids.count > 1 { out.step("Deploy failed: \(error.userMessage)") }
            await rollBack(touched: touched, outOfService: outOfService, release: release, previous: previous, watcher: watcher, context: context)
            throw error
        }
        return fleet.address(statuses)
    }

    func drainDelay() async throws -> Double {
        if let d = settings.drainSeconds { return d }
        var longest = 0.0
        for tg in fleet.targetGroups { longest = max(longest, try await fleet.drainSeconds(targetGroup: tg) ?? 0) }
        return longest
    }

    /// Waits until each agent of `batch` reports `release` running and healthy for this deploy;
    /// returns their statuses. Throws when one fails it, one leaves the group, or time runs out.
    func waitForAgents(_ batch: [String], release: Release, deploy: String, watcher: StoreWatcher, context: DeployContext) async throws -> [InstanceStatus] {
        let version = release.version
        let check = WebHealthCheck(release: release, settings: settings)
        let timeout = max(check.deadline, Formation.settleSeconds) + installAllowance
        let waited = Stopwatch(clock)
        var pending = Set(batch)
        var healthy: [InstanceStatus] = []
        var seen: [String: InstanceStatus.State] = [:]
        var lastGroupCheck = Stopwatch(clock)
        while !pending.isEmpty {
            for id in pending.sorted() {
                let key = StoreLayout.status(release.app, release.env, id)
                guard let s = try await watcher.read(key, as: InstanceStatus.self, what: "status of \(id)"), s.deploy == deploy else { continue }
                if seen[id] != s.state {
                    seen[id] = s.state
                    if s.state == .installing { await context.event(id, release: version, "installing v\(version)") }
                }
                if s.state == .running && s.release == version && s.healthy {
                    pending.remove(id)
                    healthy.append(s)
                    await context.event(id, release: version, "v\(version) is up and healthy")
                } else if s.state == .failed && s.target == version {
                    let report = FailureReport(parsing: s.error ?? "no reason given")
                    await context.event(id, release: version, "failed", detail: report.summary)
                    for line in report.lines { context.output.detail("  " + line) }
                    throw RikerError(.deployFailed, "\(id) could not start v\(version): \(report.summary)")
                }
            }
            if pending.isEmpty { break }
            if waited.exceeded(timeout) {
                let ids = pending.sorted()
                for id in ids { await context.event(id, release: version, "timed out") }
                throw RikerError(.deployFailed, "\(ids.joined(separator: ", ")) did not report v\(version) healthy within \(Int(timeout))s")
            }
            if lastGroupCheck.exceeded(2) {
                lastGroupCheck = Stopwatch(clock)
                let live = Set(try await fleet.instances().filter(\.inService).map(\.id))
                if let gone = pending.sorted().first(where: { !live.contains($0) }) {
                    await context.event(gone, release: version, "left the group")
                    throw RikerError(.deployFailed, "\(gone) left \(fleet.name) during the deploy")
                }
            }
            try await clock.sleep(for: pollInterval)
        }
        return healthy
    }

    /// Waits until the load balancer calls every instance of `batch` healthy in each target group.
    func waitForTargets(_ batch: [String]) async throws {
        let waited = Stopwatch(clock)
        for tg in fleet.targetGroups {
            while true {
                let health = try await fleet.targetHealth(batch, in: tg)
                let unhealthy = batch.filter { health[$0] != "healthy" }
                if unhealthy.isEmpty { break }
                if waited.exceeded(settings.timeout) {
                    throw RikerError(.deployFailed, "\(unhealthy.joined(separator: ", ")) not healthy in target group \(tg) within \(Int(settings.timeout))s (\(unhealthy.map { health[$0] ?? "missing" }.joined(separator: ", ")))")
                }
                try await clock.sleep(for: pollInterval)
            }
        }
    }

    /// Puts every touched instance back on `previous` and back into the target groups.
    func rollBack(touched: [String], outOfService: Set<String>, release: Release, previous: Release?, watcher: StoreWatcher, context: DeployContext) async {
        let out = context.output
        let rollbackID = context.id + "-rollback"
        if let previous, !touched.isEmpty {
            out.step("Rolling back \(touched.count) instance\(touched.count == 1 ? "" : "s") to \(previous.name)")
            for id in touched {
                try? await store.setDesired(release.app, release.env, instance: id, DesiredRelease(release: previous.version, deploy: rollbackID))
            }
            await fleet.desiredWritten(touched)
            // Wait (bounded) for the agents to confirm; one that cannot is reported, not waited on forever.
            let waited = Stopwatch(clock)
            var pending = Set(touched)
            while !pending.isEmpty && !waited.exceeded(min(settings.timeout + installAllowance, 120)) {
                for id in pending.sorted() {
                    let key = StoreLayout.status(release.app, release.env, id)
                    if let s = try? await watcher.read(key, as: InstanceStatus.self, what: "status of \(id)"), s.deploy == rollbackID,
                       s.state == .running, s.release == previous.version {
                        pending.remove(id)
                        await context.event(id, release: previous.version, "back on \(previous.name)")
                    }
                }
                if !pending.isEmpty { try? await clock.sleep(for: pollInterval) }
            }
            for id in pending.sorted() { await context.event(id, release: previous.version, "did not confirm \(previous.name)") }
        } else if !touched.isEmpty {
            for id in touched { try? await store.delete(StoreLayout.desired(release.app, release.env, id)) }
        }
        let back = Set(touched).union(outOfService).sorted()
        if !back.isEmpty, !fleet.targetGroups.isEmpty {
            for tg in fleet.targetGroups { try? await fleet.register(back, in: tg) }
            for id in back where outOfService.contains(id) { await context.event(id, release: previous?.version ?? release.version, "registered again") }
        }
        await context.update { rec in
            for i in rec.batches.indices where rec.batches[i].outcome == .running || rec.batches[i].outcome == .succeeded {
                rec.batches[i].outcome = .rolledBack
                rec.batches[i].finishedAt = rec.batches[i].finishedAt ?? Date()
            }
        }
    }
}
