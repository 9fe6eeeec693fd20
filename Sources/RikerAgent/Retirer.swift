import Foundation
import Logging
import RikerCore

/// Retiring old releases: each one waits until the proxy has no connection open to it (or
/// its grace period passes), then its processes are stopped. Every retirement is a child task
/// of `run()`, which returns once `finish()` was called and all of them are done.
struct Retirer: Sendable {
    private let requests: AsyncStream<any StartedRelease>
    private let continuation: AsyncStream<any StartedRelease>.Continuation
    let grace: Double
    let registry: ProcessRegistry
    let proxy: TCPProxy?
    let clock: any Clock<Duration>
    let logger: Logger

    init(grace: Double, registry: ProcessRegistry, proxy: TCPProxy?, clock: any Clock<Duration>, logger: Logger) {
        (requests, continuation) = AsyncStream.makeStream(of: (any StartedRelease).self)
        self.grace = grace; self.registry = registry; self.proxy = proxy; self.clock = clock; self.logger = logger
    }

    /// Stops `old` in the background once its connections are done.
    func retire(_ old: any StartedRelease) {
        logger.info("stopping \(old.release.name)")
        continuation.yield(old)
    }

    /// No more retirements: `run()` returns when the ones under way are done.
    func finish() { continuation.finish() }

    func run() async {
        await withDiscardingTaskGroup { group in
            for await old in requests {
                group.addTask { await drainAndStop(old) }
            }
        }
    }

    private func drainAndStop(_ old: any StartedRelease) async {
        if let port = old.webPort, let proxy {
            let drained = Stopwatch(clock)
            while proxy.activeConnections(to: port) > 0 && !drained.exceeded(grace) {
                try? await clock.sleep(for: .milliseconds(20))
            }
        }
        await old.stop(grace: grace, registry: registry)
    }
}
