import Foundation
import Logging
import RikerCore
import RikerRelease
import ServiceLifecycle

/// The webhook side of `riker serve`, assembled: the HTTP service with the webhook and
/// build routes, and the build scheduler fed by the delivery queue. Add `services` to
/// serve's `ServiceGroup`; more routes go in with `http.add(_:)` before it runs.
public struct WebhookServer {
    public let http: HTTPService
    public let scheduler: BuildScheduler
    public let queue: any DeliveryQueue

    /// - Parameters:
    ///   - queue: where accepted deliveries wait; nil: the spool under `paths` (`ROOT/spool/webhooks`).
    ///   - fetcher: fetches the branch into the app's repository and returns its tip.
    ///   - runner: builds, releases and deploys a fetched commit.
    ///   - statuses: commit statuses on GitHub (none by default).
    ///   - observer: told about every finished build (metrics, notifications).
    ///   - auth: who may read build records; nil: the API tokens in `store`.
    public init(http configuration: HTTPServiceConfiguration, paths: RikerPaths, store: any ReleaseStore,
                queue: (any DeliveryQueue)? = nil, fetcher: any SourceFetcher, runner: any BuildRunner,
                statuses: any CommitStatusReporter = NoCommitStatus(), observer: (any BuildObserver)? = nil, auth: BearerAuth? = nil,
                scheduling: BuildScheduler.Configuration = .init(), logger: Logger = RikerLogging.logger("serve")) throws {
        let queue = try queue ?? SpoolDeliveryQueue(directory: paths.webhookSpool, logger: logger)
        let records = BuildRecords(store: store)
        scheduler = BuildScheduler(queue: queue, store: store, fetcher: fetcher, runner: runner, statuses: statuses,
                                   logs: StoreBuildLogs(store: store, directory: paths.tmpDir.appendingPathComponent("build-logs")),
                                   observer: observer, configuration: scheduling, logger: logger)
        http = HTTPService(configuration: configuration, routes: [
            GitHubWebhookRoutes(apps: StoreWebhookApps(store: store), queue: queue, records: records, logger: logger),
            BuildRoutes(records: records, auth: auth ?? BearerAuth(tokens: TokenRing(store: store))),
        ], logger: logger)
        self.queue = queue
    }

    /// The HTTP service and the build scheduler, for serve's `ServiceGroup`.
    public var services: [any Service] { [http, scheduler] }
}
