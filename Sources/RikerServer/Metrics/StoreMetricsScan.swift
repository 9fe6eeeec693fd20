import Foundation
import RikerCore
import RikerRelease

/// Brings the store-derived metrics up to date: deploys and rollbacks from the deploy
/// records (`apps/APP/ENV/deploys/ID.json`), agents from the instance statuses.
///
/// Deploys run in whichever process took the push (the pre-receive hook of an SSH push, a
/// webhook build, another server sharing the store), and every one leaves its record, so the
/// records are the one complete account: a scan at each scrape counts each finished record
/// once. Finished records never change, so a scan lists each app env's records and reads
/// only those it has not counted yet (and the running ones again); statuses are read again
/// only when their entity tag changed. Every server sharing the store thus shows the same
/// counts, and a restart loses none. Concurrent scrapes share one scan.
public actor StoreMetricsScan {
    let store: any ReleaseStore
    let metrics: ServerMetrics
    private var counted: Set<String> = []
    private var statuses: [String: (etag: String, status: InstanceStatus)] = [:]
    private var inFlight: Task<Void, Never>?

    public init(store: any ReleaseStore, metrics: ServerMetrics) { self.store = store; self.metrics = metrics }

    /// Scans the store, or waits for the scan already under way. A store that fails counts in
    /// `riker_metrics_scan_errors_total`; the metrics keep their last values.
    public func refresh() async {
        if let inFlight { return await inFlight.value }
        let task = Task { await self.scan() }
        inFlight = task
        await task.value
        inFlight = nil
    }

    private func scan() async {
        guard let apps = try? await store.appNames() else { return metrics.scanFailed() }
        for app in apps {
            do {
                for env in try await store.listChildren(prefix: "apps/\(app)/") where AppName.isValid(env) && !["slugs", "blobs"].contains(env) {
                    try await scanDeploys(app, env)
                    try await scanAgents(app, env)
                }
            } catch {
                metrics.scanFailed()
            }
        }
    }

    private func scanDeploys(_ app: String, _ env: String) async throws {
        var running = 0
        for info in try await store.list(prefix: StoreLayout.deploysPrefix(app, env)) where info.key.hasSuffix(".json") && !counted.contains(info.key) {
            guard let object = try await store.get(info.key),
                  let record = try? JSONCoding.decode(DeployRecord.self, from: object.data, what: "deploy record") else { continue }
            if record.outcome == .running { running += 1; continue }
            let release = try? await store.release(app, env, record.release)
            metrics.deployFinished(record, requestedRollback: release?.description.hasPrefix("Rollback to ") == true)
            counted.insert(info.key)
        }
        metrics.deploysRunning(app: app, env: env, running)
    }

    private func scanAgents(_ app: String, _ env: String) async throws {
        var byState: [InstanceStatus.State: Int] = [:]
        var healthy = 0
        for info in try await store.list(prefix: StoreLayout.instancesPrefix(app, env)) where info.key.hasSuffix("/status") {
            var status = statuses[info.key].flatMap { $0.etag == info.etag ? $0.status : nil }
            if status == nil, let object = try await store.get(info.key) {
                status = try? JSONCoding.decode(InstanceStatus.self, from: object.data, what: "instance status")
                if let status { statuses[info.key] = (object.etag, status) }
            }
            guard let status else { continue }
            byState[status.state, default: 0] += 1
            if status.healthy { healthy += 1 }
        }
        metrics.agents(app: app, env: env, byState: byState, healthy: healthy)
    }
}
