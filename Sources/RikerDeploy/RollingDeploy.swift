import Foundation
import RikerCore
import RikerRelease

/// The `asg` target: rolls a release across an Auto Scaling Group batch by batch (DESIGN.md §6).
///
/// Per batch: deregister from the target groups and wait the drain delay, write `desired`,
/// wait until every agent reports the release running and healthy, register back and wait
/// for target health. Any failure stops the deploy and puts every touched instance back on
/// the previous release (re-registered); the `Deployer` then moves `current` back.
public struct RollingDeploy: DeployTarget {
    public let store: any ReleaseStore
    public let fleet: any Fleet
    public let settings: AppSettings
    /// How often agent statuses and target health are polled.
    public var pollInterval: Double = 0.2

    public init(store: any ReleaseStore, fleet: any Fleet, settings: AppSettings) {
        self.store = store; self.fleet = fleet; self.settings = settings
    }

    struct Options {
        var group: String
        var targetGroups: [String]
        var batch: String
        var minHealthy: Double
        var drainSeconds: Double?
        var timeout: Double
    }

    func options(env: String) throws -> Options {
        guard let group = settings.value("asg.name", env: env), !group.isEmpty else {
            throw RikerError(.invalidInput, "target=asg needs the group's name: apps:set \(settings.name) asg.name=GROUP")
        }
        let tgs = (settings.value("asg.target_groups", env: env) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        func number(_ key: String, _ def: Double?) throws -> Double? {
            guard let raw = settings.value(key, env: env) else { return def }
            guard let v = Double(raw.trimmingCharacters(in: CharacterSet(charactersIn: "% "))), v >= 0 else {
                throw RikerError(.invalidInput, "\(key)=\(raw) is not a number")
            }
            return v
        }
        return Options(group: group, targetGroups: tgs, batch: settings.value("deploy.batch", env: env) ?? "1",
                       minHealthy: try number("deploy.min_healthy", 50)!, drainSeconds: try number("deploy.drain_seconds", nil),
                       timeout: try number("deploy.timeout_seconds", 300)!)
    }

    public func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String {
        let env = release.env
        let opts = try options(env: env)
        let ids = try await fleet.instances(group: opts.group).filter(\.inService).map(\.id).sorted()
        let plan = try DeployPlan.make(instances: ids, batch: opts.batch, minHealthyPercent: opts.minHealthy)
        let out = context.output
        guard !ids.isEmpty else {
            out.detail("Auto Scaling group \(opts.group) has no InService instances; new ones will start \(release.name)")
            return "Auto Scaling group \(opts.group) (no instances yet)"
        }
        out.step("Deploying \(release.name) to \(ids.count) instance\(ids.count == 1 ? "" : "s") in \(plan.batches.count) batch\(plan.batches.count == 1 ? "" : "es")")

        var touched: [String] = []
        var outOfService = Set<String>()
        do {
            for (index, batch) in plan.batches.enumerated() {
                await context.update { $0.batches.append(.init(instances: batch)) }
                for tg in opts.targetGroups { try await fleet.deregister(batch, from: tg) }
                outOfService.formUnion(batch)
                for id in batch { await context.event(id, release: release.version, "deregistered") }
                if !opts.targetGroups.isEmpty {
                    let drain = try await drainDelay(opts)
                    if drain > 0 { try await Task.sleep(nanoseconds: UInt64(drain * 1e9)) }
                }
                touched += batch
                for id in batch {
                    try await store.setDesired(release.app, env, instance: id, DesiredRelease(release: release.version, deploy: context.id))
                }
                // The agents' own health check has `timeout`; downloading and unpacking come on top.
                try await waitForAgents(batch, release: release.version, deploy: context.id, group: opts.group, timeout: opts.timeout + 30, context: context)
                for tg in opts.targetGroups { try await fleet.register(batch, in: tg) }
                try await waitForTargets(batch, targetGroups: opts.targetGroups, timeout: opts.timeout)
                outOfService.subtract(batch)
                for id in batch { await context.event(id, release: release.version, "in service") }
                await context.update { $0.batches[index].outcome = .succeeded; $0.batches[index].finishedAt = Date() }
            }
        } catch {
            out.step("Deploy failed: \(error.userMessage)")
            await rollBack(touched: touched, outOfService: outOfService, release: release, previous: previous, opts: opts, context: context)
            throw error
        }
        return "\(ids.count) instance\(ids.count == 1 ? "" : "s") of Auto Scaling group \(opts.group)"
    }

    func drainDelay(_ opts: Options) async throws -> Double {
        if let d = opts.drainSeconds { return d }
        var longest = 0.0
        for tg in opts.targetGroups { longest = max(longest, try await fleet.drainSeconds(targetGroup: tg) ?? 0) }
        return longest
    }

    /// Waits until each agent of `batch` reports `release` running and healthy for this deploy.
    func waitForAgents(_ batch: [String], release: Int, deploy: String, group: String, timeout: Double, context: DeployContext) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var pending = Set(batch)
        var seen: [String: InstanceStatus.State] = [:]
        var lastGroupCheck = Date()
        let statuses = StatusReader(store: store, app: settings.name, env: context.record.env)
        while !pending.isEmpty {
            for id in pending.sorted() {
                guard let s = try await statuses.read(id), s.deploy == deploy else { continue }
                if seen[id] != s.state {
                    seen[id] = s.state
                    if s.state == .installing { await context.event(id, release: release, "installing v\(release)") }
                }
                if s.state == .running && s.release == release && s.healthy {
                    pending.remove(id)
                    await context.event(id, release: release, "v\(release) is up and healthy")
                } else if s.state == .failed && s.target == release {
                    await context.event(id, release: release, "failed", detail: s.error)
                    throw RikerError(.deployFailed, "\(id) could not start v\(release): \(s.error ?? "no reason given")")
                }
            }
            if pending.isEmpty { break }
            if Date() > deadline {
                let ids = pending.sorted().joined(separator: ", ")
                for id in pending.sorted() { await context.event(id, release: release, "timed out") }
                throw RikerError(.deployFailed, "\(ids) did not report v\(release) healthy within \(Int(timeout))s")
            }
            if Date().timeIntervalSince(lastGroupCheck) > 2 {
                lastGroupCheck = Date()
                let live = Set(try await fleet.instances(group: group).filter { $0.inService }.map(\.id))
                if let gone = pending.sorted().first(where: { !live.contains($0) }) {
                    await context.event(gone, release: release, "left the group")
                    throw RikerError(.deployFailed, "\(gone) left Auto Scaling group \(group) during the deploy")
                }
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }

    /// Waits until the load balancer calls every instance of `batch` healthy in each target group.
    func waitForTargets(_ batch: [String], targetGroups: [String], timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        for tg in targetGroups {
            while true {
                let health = try await fleet.targetHealth(batch, in: tg)
                let unhealthy = batch.filter { health[$0] != "healthy" }
                if unhealthy.isEmpty { break }
                if Date() > deadline {
                    throw RikerError(.deployFailed, "\(unhealthy.joined(separator: ", ")) not healthy in target group \(tg) within \(Int(timeout))s (\(unhealthy.map { health[$0] ?? "missing" }.joined(separator: ", ")))")
                }
                try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
            }
        }
    }

    /// Puts every touched instance back on `previous` and back into the target groups.
    func rollBack(touched: [String], outOfService: Set<String>, release: Release, previous: Release?, opts: Options, context: DeployContext) async {
        let out = context.output
        let env = release.env
        let rollbackID = context.id + "-rollback"
        if let previous, !touched.isEmpty {
            out.step("Rolling back \(touched.count) instance\(touched.count == 1 ? "" : "s") to \(previous.name)")
            for id in touched {
                try? await store.setDesired(release.app, env, instance: id, DesiredRelease(release: previous.version, deploy: rollbackID))
            }
            // Wait (bounded) for the agents to confirm; one that cannot is reported, not waited on forever.
            let deadline = Date().addingTimeInterval(min(opts.timeout, 120))
            var pending = Set(touched)
            while !pending.isEmpty && Date() < deadline {
                for id in pending.sorted() {
                    if let s = try? await store.status(release.app, env, instance: id), s.deploy == rollbackID,
                       s.state == .running, s.release == previous.version {
                        pending.remove(id)
                        await context.event(id, release: previous.version, "back on \(previous.name)")
                    }
                }
                try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
            }
            for id in pending.sorted() { await context.event(id, release: previous.version, "did not confirm \(previous.name)") }
        } else if !touched.isEmpty {
            for id in touched { try? await store.delete(StoreLayout.desired(release.app, env, id)) }
        }
        let back = Set(touched).union(outOfService).sorted()
        if !back.isEmpty {
            for tg in opts.targetGroups { try? await fleet.register(back, in: tg) }
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

/// Reads agents' statuses with conditional GETs, so polling an unchanged status costs a 304.
final class StatusReader {
    let store: any ReleaseStore
    let app: String, env: String
    private var cache: [String: (etag: String, status: InstanceStatus)] = [:]

    init(store: any ReleaseStore, app: String, env: String) { self.store = store; self.app = app; self.env = env }

    func read(_ instance: String) async throws -> InstanceStatus? {
        let key = StoreLayout.status(app, env, instance)
        guard let cached = cache[instance] else {
            guard let obj = try await store.get(key) else { return nil }
            return try remember(instance, obj)
        }
        switch try await store.get(key, ifNoneMatch: cached.etag) {
        case .unchanged: return cached.status
        case .absent: cache[instance] = nil; return nil
        case .changed(let obj): return try remember(instance, obj)
        }
    }

    private func remember(_ instance: String, _ obj: StoredObject) throws -> InstanceStatus {
        let status = try JSONCoding.decode(InstanceStatus.self, from: obj.data, what: "status of \(instance)")
        cache[instance] = (obj.etag, status)
        return status
    }
}
