import Foundation
import Prometheus
import RikerRelease

/// The Prometheus metrics of `riker serve`, served at `/metrics` (`MetricsRoutes`).
///
/// Builds and the webhook queue are counted as this server's build scheduler reports them
/// (it is a `BuildObserver`); store requests as `MeteredStore` passes them on. Deploys,
/// rollbacks and agents come from the store itself (`StoreMetricsScan`), because deploys
/// also run in other processes (the pre-receive hook of an SSH push, other servers).
public final class ServerMetrics: BuildObserver, @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()

    static let buildBuckets: [Double] = [5, 10, 30, 60, 120, 300, 600, 900, 1800]
    static let deployBuckets: [Double] = [1, 5, 10, 30, 60, 120, 300, 600, 1800]

    public init() {
        queueDepth.set(to: 0)
        _ = registry.makeValueHistogram(descriptor: Self.buildDuration, labels: [], buckets: Self.buildBuckets)
        _ = registry.makeValueHistogram(descriptor: Self.deployDuration, labels: [], buckets: Self.deployBuckets)
    }

    /// The metrics in Prometheus's text exposition format.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    // MARK: Builds (this server's webhook builds)

    static let builds = MetricNameDescriptor(namespace: "riker", metricName: "builds", unitName: "total",
                                             helpText: "Webhook builds this server ran, by app and outcome (succeeded, failed)")
    static let buildDuration = MetricNameDescriptor(namespace: "riker", metricName: "build_duration", unitName: "seconds",
                                                    helpText: "Time from the start of a webhook build (fetch) to its end, release and deploy included")
    static let queue = MetricNameDescriptor(namespace: "riker", metricName: "webhook_queue_depth", unitName: "",
                                            helpText: "Webhook deliveries received and waiting for their app env")

    private var queueDepth: Gauge { registry.makeGauge(descriptor: Self.queue) }

    public func buildFinished(_ record: BuildRecord) async {
        // Deliveries carried by another's build share its record's outcome: count the build once.
        guard record.coalescedInto == nil, record.isFinished else { return }
        registry.makeCounter(descriptor: Self.builds, labels: [("app", record.app), ("outcome", record.status.rawValue)]).increment()
        if let start = record.startedAt, let end = record.finishedAt {
            registry.makeValueHistogram(descriptor: Self.buildDuration, labels: [], buckets: Self.buildBuckets)
                .record(max(0, end.timeIntervalSince(start)))
        }
    }

    public func waitingChanged(_ waiting: Int) async { queueDepth.set(to: Double(waiting)) }

    // MARK: Store requests (this server's)

    static let storeRequests = MetricNameDescriptor(namespace: "riker", metricName: "store_requests", unitName: "total",
                                                    helpText: "Release store requests this server made, by operation")
    static let storeErrors = MetricNameDescriptor(namespace: "riker", metricName: "store_errors", unitName: "total",
                                                  helpText: "Release store requests of this server that failed, by operation")

    func storeRequest(_ operation: String, failed: Bool) {
        registry.makeCounter(descriptor: Self.storeRequests, labels: [("operation", operation)]).increment()
        if failed { registry.makeCounter(descriptor: Self.storeErrors, labels: [("operation", operation)]).increment() }
    }

    // MARK: Deploys and agents (from the store)

    static let deploys = MetricNameDescriptor(namespace: "riker", metricName: "deploys", unitName: "total",
                                              helpText: "Finished deploys recorded in the store, by app, env and outcome (succeeded, failed, rolled_back)")
    static let deployDuration = MetricNameDescriptor(namespace: "riker", metricName: "deploy_duration", unitName: "seconds",
                                                     helpText: "Duration of finished deploys recorded in the store")
    static let deploysRunning = MetricNameDescriptor(namespace: "riker", metricName: "deploys_running", unitName: "",
                                                     helpText: "Deploys recorded in the store as running, by app and env")
    static let rollbacks = MetricNameDescriptor(namespace: "riker", metricName: "rollbacks", unitName: "total",
                                                helpText: "Rollbacks by app, env and kind: automatic (a failed deploy rolled back) or requested (riker rollback)")
    static let agents = MetricNameDescriptor(namespace: "riker", metricName: "agents", unitName: "",
                                             helpText: "Instances whose agent reports a status in the store, by app, env and state")
    static let agentsHealthy = MetricNameDescriptor(namespace: "riker", metricName: "agents_healthy", unitName: "",
                                                    helpText: "Instances whose agent reports its release healthy, by app and env")
    static let scanErrors = MetricNameDescriptor(namespace: "riker", metricName: "metrics_scan_errors", unitName: "total",
                                                 helpText: "Store scans for deploy and agent metrics that failed")

    func deployFinished(_ record: DeployRecord, requestedRollback: Bool) {
        let labels = [("app", record.app), ("env", record.env)]
        registry.makeCounter(descriptor: Self.deploys, labels: labels + [("outcome", record.outcome.rawValue)]).increment()
        if let end = record.finishedAt {
            registry.makeValueHistogram(descriptor: Self.deployDuration, labels: [], buckets: Self.deployBuckets)
                .record(max(0, end.timeIntervalSince(record.startedAt)))
        }
        if record.outcome == .rolledBack {
            registry.makeCounter(descriptor: Self.rollbacks, labels: labels + [("kind", "automatic")]).increment()
        }
        if requestedRollback {
            registry.makeCounter(descriptor: Self.rollbacks, labels: labels + [("kind", "requested")]).increment()
        }
    }

    func deploysRunning(app: String, env: String, _ count: Int) {
        registry.makeGauge(descriptor: Self.deploysRunning, labels: [("app", app), ("env", env)]).set(to: Double(count))
    }

    func agents(app: String, env: String, byState counts: [InstanceStatus.State: Int], healthy: Int) {
        for state in [InstanceStatus.State.installing, .running, .failed, .stopped] {
            registry.makeGauge(descriptor: Self.agents, labels: [("app", app), ("env", env), ("state", state.rawValue)])
                .set(to: Double(counts[state] ?? 0))
        }
        registry.makeGauge(descriptor: Self.agentsHealthy, labels: [("app", app), ("env", env)]).set(to: Double(healthy))
    }

    func scanFailed() { registry.makeCounter(descriptor: Self.scanErrors, labels: []).increment() }
}
