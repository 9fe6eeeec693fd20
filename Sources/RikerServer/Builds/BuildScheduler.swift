import Foundation
import Logging
import RikerCore
import RikerRelease
import ServiceLifecycle

/// The build queue behind the webhook: receives deliveries from the `DeliveryQueue` and
/// builds them, one build at a time per app env, several app envs in parallel up to
/// `maxParallel`.
///
/// Deliveries for an app env that arrive while it builds wait; when the build ends, all
/// that waited run as one build of the branch tip fetched at its start, so a build never
/// deploys an older commit than the branch holds and out-of-order deliveries end on the
/// newest commit. A tip that is already the env's current release is not built again.
/// A delivery is completed in the queue only when its build is over, so one received and
/// not finished before a crash is built after the restart.
///
/// Graceful shutdown stops receiving and waits for running builds; waiting deliveries are
/// given back to the queue.
public final class BuildScheduler: Service, @unchecked Sendable {
    public struct Configuration: Sendable {
        /// App envs building at once.
        public var maxParallel: Int
        /// Seconds to wait after the queue failed before receiving again.
        public var retryDelay: Double

        public init(maxParallel: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), retryDelay: Double = 2) {
            self.maxParallel = max(1, maxParallel); self.retryDelay = retryDelay
        }
    }

    public let queue: any DeliveryQueue
    public let store: any ReleaseStore
    public let records: BuildRecords
    let fetcher: any SourceFetcher
    let runner: any BuildRunner
    let statuses: any CommitStatusReporter
    let logs: any BuildLogs
    let observer: (any BuildObserver)?
    let configuration: Configuration
    let logger: Logger

    public init(queue: any DeliveryQueue, store: any ReleaseStore, fetcher: any SourceFetcher, runner: any BuildRunner,
                statuses: any CommitStatusReporter = NoCommitStatus(), logs: any BuildLogs, observer: (any BuildObserver)? = nil,
                configuration: Configuration = .init(), logger: Logger) {
        self.queue = queue; self.store = store; self.records = BuildRecords(store: store)
        self.fetcher = fetcher; self.runner = runner; self.statuses = statuses; self.logs = logs
        self.observer = observer; self.configuration = configuration; self.logger = logger
    }

    enum Event {
        case received([ReceivedDelivery])
        case finished(key: String)
        case shutdown
    }

    /// Per app env: what waits, and the delivery ids of the build running (nil: none).
    struct Lane {
        var waiting: [ReceivedDelivery] = []
        var running: [String]?
    }

    public func run() async throws {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let receiver = Task { await receiveLoop(sink) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var lanes: [String: Lane] = [:]
                var ready: [String] = []
                var active = Set<String>()
                var running = 0
                var stopping = false
                var lastDepth = 0

                func startReady() {
                    while !stopping, running < configuration.maxParallel, !ready.isEmpty {
                        let key = ready.removeFirst()
                        guard let batch = lanes[key]?.waiting, !batch.isEmpty else { continue }
                        lanes[key]?.waiting = []
                        lanes[key]?.running = batch.map(\.delivery.id)
                        running += 1
                        let thread = BuildThread(name: "riker-build \(key)")
                        group.addTask(executorPreference: thread) {
                            await self.build(batch)
                            thread.finish()
                            sink.yield(.finished(key: key))
                        }
                    }
                }

                for await event in events {
                    switch event {
                    case .received(let items) where stopping:
                        for item in items { await queue.release(item) }
                    case .received(let items):
                        // A queue may hand out again what is still building (SQS after a visibility timeout).
                        for item in items where active.insert(item.delivery.id).inserted {
                            let key = item.delivery.key
                            lanes[key, default: Lane()].waiting.append(item)
                            if lanes[key]?.running == nil && !ready.contains(key) { ready.append(key) }
                        }
                    case .finished(let key):
                        running -= 1
                        active.subtract(lanes[key]?.running ?? [])
                        lanes[key]?.running = nil
                        if lanes[key]?.waiting.isEmpty == false && !ready.contains(key) { ready.append(key) }
                    case .shutdown:
                        stopping = true
                        receiver.cancel()
                    }
                    startReady()
                    let depth = lanes.values.reduce(0) { $0 + $1.waiting.count }
                    if depth != lastDepth, let observer {
                        lastDepth = depth
                        await observer.waitingChanged(depth)
                    }
                    if stopping && running == 0 { break }
                }
                receiver.cancel()
                for lane in lanes.values { for item in lane.waiting { await queue.release(item) } }
            }
        } onGracefulShutdown: {
            sink.yield(.shutdown)
        }
        receiver.cancel()
        await receiver.value
    }

    func receiveLoop(_ sink: AsyncStream<Event>.Continuation) async {
        while !Task.isCancelled {
            do {
                let items = try await queue.receive()
                if !items.isEmpty { sink.yield(.received(items)) }
            } catch is CancellationError {
                return
            } catch {
                logger.error("cannot receive webhook deliveries; retrying", metadata: ["error": .string(error.userMessage)])
                try? await Task.sleep(nanoseconds: UInt64(configuration.retryDelay * 1e9))
            }
        }
    }

    /// Runs one build for `batch` (deliveries of one app env) and completes them in the queue.
    func build(_ batch: [ReceivedDelivery]) async {
        let ids = batch.map(\.delivery.id)
        let deliveries = batch.map(\.delivery)
        let lead = deliveries.max { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }!
        var log = logger
        log[metadataKey: "app"] = .string(lead.app)
        log[metadataKey: "env"] = .string(lead.env)
        log[metadataKey: "build"] = .string(lead.buildID)

        let started = await mark(deliveries, lead: lead) { r in r.status = .running; r.startedAt = Date() }
        let output = logs.open(started[0])
        if deliveries.count > 1 {
            output.step("Building \(deliveries.count) deliveries of \(lead.branch) as one build")
        }
        log.info("build started", metadata: ["deliveries": .string(ids.joined(separator: ","))])

        var commit: String?
        let outcome: (BuildRecord) -> BuildRecord
        do {
            guard let settings = try await store.app(lead.app)?.settings else {
                throw RikerError(.notFound, "app \(lead.app) no longer exists")
            }
            let repo = settings.settings["webhook.repo"].flatMap { $0.isEmpty ? nil : $0 } ?? lead.cloneURL
            guard let repo else {
                throw RikerError(.invalidInput, "no repository to fetch: apps:set \(lead.app) webhook.repo=URL")
            }
            output.step("Fetching \(lead.branch)")
            let tip = try await fetcher.fetch(FetchRequest(app: lead.app, branch: lead.branch, repositoryURL: repo))
            commit = tip
            await mark(deliveries, lead: lead) { r in r.commit = tip }
            if try await deployedCommit(app: lead.app, env: lead.env) == tip {
                output.step("\(tip.prefix(7)) is already deployed to \(lead.env): nothing to build")
                outcome = { r in var r = r; r.status = .succeeded; r.note = "commit \(tip.prefix(7)) is already deployed to \(lead.env)"; return r }
            } else {
                await statuses.report(.pending, app: lead.app, env: lead.env, repository: lead.repository, commit: tip, build: lead.buildID, description: "Riker is building \(lead.env)")
                let job = BuildJob(buildID: lead.buildID, coalesced: deliveries.map(\.buildID).filter { $0 != lead.buildID },
                                   app: lead.app, env: lead.env, branch: lead.branch, ref: lead.ref, commit: tip,
                                   deliveries: ids, createdBy: "github:\(lead.pusher ?? "webhook")", output: output)
                let result = try await runner.run(job)
                await statuses.report(.success, app: lead.app, env: lead.env, repository: lead.repository, commit: tip, build: lead.buildID,
                                      description: "Deployed to \(lead.env)" + (result.release.map { " as \($0)" } ?? ""))
                outcome = { r in var r = r; r.status = .succeeded; r.release = result.release; return r }
            }
            log.info("build succeeded", metadata: ["commit": .string(tip)])
        } catch where Task.isCancelled {
            // The server is going down hard: not an outcome. The deliveries stay in the queue
            // and are built again after the restart.
            output.error("build interrupted: the server is stopping")
            log.warning("build interrupted; it runs again after a restart")
            await mark(deliveries, lead: lead) { r in r.status = .queued; r.startedAt = nil; r.note = "interrupted by a server stop; builds again at restart" }
            for item in batch { await queue.release(item) }
            return
        } catch {
            let reason = error.userMessage
            output.error(reason)
            if let commit {
                await statuses.report(.failure, app: lead.app, env: lead.env, repository: lead.repository, commit: commit, build: lead.buildID,
                                      description: String(reason.prefix(140)))
            }
            log.error("build failed", metadata: ["error": .string(reason)])
            outcome = { r in var r = r; r.status = .failed; r.error = reason; return r }
        }
        let finished = await mark(deliveries, lead: lead) { r in r = outcome(r); r.finishedAt = Date() }
        await logs.finish(finished[0], output: output)
        for item in batch {
            do { try await queue.complete(item) } catch {
                log.error("cannot complete a delivery in the queue", metadata: ["delivery": .string(item.delivery.id), "error": .string(error.userMessage)])
            }
        }
        if let observer { for r in finished { await observer.buildFinished(r) } }
    }

    /// Applies `change` to the record of every delivery of a build (creating missing ones),
    /// the others pointing at the lead's. Returns the records, the lead's first.
    @discardableResult
    private func mark(_ deliveries: [Delivery], lead: Delivery, _ change: (inout BuildRecord) -> Void) async -> [BuildRecord] {
        var out: [BuildRecord] = []
        for d in [lead] + deliveries.filter({ $0.buildID != lead.buildID }) {
            var r = (try? await records.get(app: d.app, id: d.buildID)) ?? BuildRecord(queued: d)
            r.coalescedInto = d.buildID == lead.buildID ? nil : lead.buildID
            change(&r)
            do { try await records.save(r) } catch {
                logger.error("cannot save a build record", metadata: ["build": .string(r.id), "error": .string(error.userMessage)])
            }
            out.append(r)
        }
        return out
    }

    /// The commit of the app env's current release, if any.
    func deployedCommit(app: String, env: String) async throws -> String? {
        guard let v = try await store.current(app, env).version else { return nil }
        return try await store.release(app, env, v)?.commit
    }
}

/// Told about the build queue (metrics, notifications, tests).
public protocol BuildObserver: Sendable {
    /// A build is over: called for the record of every delivery it covered.
    func buildFinished(_ record: BuildRecord) async
    /// The number of deliveries received and waiting for their app env (the queue depth).
    func waitingChanged(_ waiting: Int) async
}

extension BuildObserver {
    public func waitingChanged(_ waiting: Int) async {}
}
