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
    let fetchLocks = KeyedLock()

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
}
