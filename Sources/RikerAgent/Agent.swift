import Foundation
import Logging
import RikerCore
import RikerRelease

/// riker-agent: makes one instance run what the store says it should.
///
/// One loop owns all state: every ~100 ms it supervises the running processes, and every
/// `pollInterval` it reads `desired` (falling back to `current`) with a conditional GET.
/// A new release is installed beside the running one, health-checked on its own port, and
/// only then receives traffic (the proxy's target changes); the old one is drained and stopped.
/// Every step is reported in `instances/ID/status` (see `InstanceStatus`).
public final class Agent: @unchecked Sendable {
    let options: AgentOptions
    let store: any ReleaseStore
    let paths: AgentPaths
    let probe: any HealthProbe
    let registry: ProcessRegistry
    let installer: ReleaseInstaller
    private var logger: Logger

    private let flagLock = NSLock()
    private var stopRequested = false
    private var proxy: TCPProxy?
    private var running: RunningRelease?
    private var lastStatus: InstanceStatus?
    /// Releases that failed here, by (release, deploy): not retried for the same deploy,
    /// even by a restarted agent (`DIR/failures.json`).
    private var failures: FailedReleases
    private var fatal: Error?
    private var desiredWatch = Watched()
    private var currentWatch = Watched()
    private var lastPoll = Date.distantPast
    /// Old releases being drained and stopped in the background; awaited at shutdown.
    private let retiring = DispatchGroup()

    /// How long a release that failed while following `current` (no deploy id) waits before a retry.
    static let retryWithoutDeploy: Double = 30
    static let tick: UInt64 = 100_000_000

    public convenience init(options: AgentOptions, store: any ReleaseStore) {
        self.init(options: options, store: store, probe: CurlHealthProbe())
    }

    init(options: AgentOptions, store: any ReleaseStore, probe: any HealthProbe) {
        self.options = options
        self.store = store
        self.probe = probe
        paths = AgentPaths(options.dir)
        var logger = RikerLogging.logger("agent")
        logger[metadataKey: "app"] = "\(options.app)"
        logger[metadataKey: "env"] = "\(options.env)"
        logger[metadataKey: "instance"] = "\(options.instanceID)"
        self.logger = logger
        registry = ProcessRegistry(file: paths.processes, logger: logger)
        failures = FailedReleases(file: paths.failures)
        installer = ReleaseInstaller(store: store, paths: paths, logger: logger)
    }

    /// The port the proxy listens on, once `run()` has bound it.
    public var port: Int? { flagLock.withLock { proxy?.port } }

    /// Asks `run()` to stop the app's processes and return (what SIGTERM does).
    public func stop() { flagLock.withLock { stopRequested = true } }

    private var isStopping: Bool { flagLock.withLock { stopRequested } || Task.isCancelled }

    /// Runs until SIGTERM/SIGINT (or `stop()`), then stops the app's processes gracefully.
    ///
    /// Throws `.locked` when another agent holds `DIR/agent.lock`, `.io` when the port cannot be
    /// bound, and, for a pinned release, the reason its install failed.
    public func run() async throws {
        try FileManager.default.createDirectory(at: paths.dir, withIntermediateDirectories: true)
        guard let lock = try FileLock.tryLock(paths.lock) else {
            throw RikerError(.locked, "another riker-agent is running in \(paths.dir.path) (it holds agent.lock); stop it first")
        }
        defer { lock.unlock() }
        registry.killLeftovers(grace: 5)
        failures = FailedReleases(file: paths.failures) { [logger] in logger.warning("\($0)") }
        installer.removeStaging()

        let signals = options.handleSignals ? SignalWatcher([SIGTERM, SIGINT]) { [weak self] sig in
            self?.logger.info("received signal \(sig): stopping")
            self?.stop()
        } : nil
        defer { signals?.cancel() }

        let proxy = try await TCPProxy.start(host: options.host, port: options.port)
        flagLock.withLock { self.proxy = proxy }
        logger.info("listening on \(options.host):\(proxy.port), store \(store.url)")

        while !isStopping {
            if Date().timeIntervalSince(lastPoll) >= options.pollInterval {
                lastPoll = Date()
                await pollStore()
            }
            await supervise()
            try? await Task.sleep(nanoseconds: Self.tick)
        }
        await shutdown(proxy)
        if let fatal { throw fatal }
    }

    // MARK: - What to run

    private struct Watched { var etag: String?; var data: Data?; var badEtag: String? }

    private func pollStore() async {
        do {
            guard let wanted = try await wantedRelease() else { return }
            await reconcile(wanted)
        } catch {
            logger.warning("cannot read what to run from \(store.url): \(error.userMessage)")
        }
    }

    /// `desired`, else `current` (with no deploy id), else nothing yet. Reads are conditional.
    private func wantedRelease() async throws -> DesiredRelease? {
        if let pinned = options.pinnedRelease { return DesiredRelease(release: pinned, deploy: "") }
        if let data = try await read(StoreLayout.desired(options.app, options.env, options.instanceID), &desiredWatch) {
            do { return try JSONCoding.decode(DesiredRelease.self, from: data, what: "desired release of \(options.instanceID)") } catch {
                if desiredWatch.badEtag != desiredWatch.etag {
                    desiredWatch.badEtag = desiredWatch.etag
                    logger.error("ignoring desired: \(error.userMessage)")
                }
            }
        }
        if let data = try await read(StoreLayout.current(options.app, options.env), &currentWatch),
           let version = parseVersion(String(decoding: data, as: UTF8.self)) {
            return DesiredRelease(release: version, deploy: "")
        }
        return nil
    }

    private func read(_ key: String, _ watched: inout Watched) async throws -> Data? {
        if let etag = watched.etag {
            switch try await store.get(key, ifNoneMatch: etag) {
            case .absent: watched = Watched()
            case .unchanged: break
            case .changed(let obj): watched = Watched(etag: obj.etag, data: obj.data, badEtag: watched.badEtag)
            }
        } else if let obj = try await store.get(key) {
            watched = Watched(etag: obj.etag, data: obj.data, badEtag: watched.badEtag)
        }
        return watched.data
    }

    private func reconcile(_ wanted: DesiredRelease) async {
        let deploy = wanted.deploy.isEmpty ? nil : wanted.deploy
        if let r = running, r.version == wanted.release {
            if lastStatus?.state != .running || lastStatus?.release != r.version || lastStatus?.deploy != deploy {
                await report(.running, release: r.version, target: nil, healthy: r.webHealthy, deploy: deploy)
            }
            return
        }
        if options.pinnedRelease == nil, let failed = failures.failure(release: wanted.release, deploy: wanted.deploy),
           deploy != nil || Date().timeIntervalSince(failed.failedAt) < Self.retryWithoutDeploy {
            // Already failed here for this deploy (maybe before a restart): say so again, once.
            if lastStatus?.state != .failed || lastStatus?.target != wanted.release || lastStatus?.deploy != deploy {
                logger.info("not retrying v\(wanted.release): it failed here\(deploy.map { " for deploy \($0)" } ?? "") at \(failed.failedAt)")
                await report(.failed, release: running?.version, target: wanted.release, healthy: running?.webHealthy ?? false,
                             error: failed.error, deploy: deploy)
            }
            return
        }
        await install(wanted.release, deploy: deploy)
    }

    // MARK: - Install, check, switch

    private struct Stopped: Error {}

    private func install(_ version: Int, deploy: String?) async {
        let previous = running
        logger.info("installing v\(version)", metadata: deploy.map { ["deploy": "\($0)"] })
        await report(.installing, release: previous?.version, target: version, healthy: previous?.webHealthy ?? false, deploy: deploy)
        var candidate: RunningRelease?
        do {
            guard let release = try await store.release(options.app, options.env, version) else {
                throw RikerError(.notFound, "release v\(version) of \(options.app) (\(options.env)) is not in the store \(store.url)")
            }
            let dir = try await installer.install(release)
            let settings = try? await store.app(options.app)?.settings
            let healthPath = settings?.value("deploy.health_path", env: options.env) ?? "/"
            let timeout = settings?.value("deploy.timeout_seconds", env: options.env).flatMap(Double.init) ?? 60
            let new = RunningRelease(release: release, directory: dir, paths: paths)
            if let port = new.webPort {
                new.healthURL = "http://127.0.0.1:\(port)" + (healthPath.hasPrefix("/") ? healthPath : "/" + healthPath)
            }
            candidate = new
            try new.start(registry: registry)
            if let url = new.healthURL {
                try await waitHealthy(new, url: url, timeout: timeout)
            } else {
                try await waitStaysUp(new, seconds: 1)
                new.webHealthy = true
            }
        } catch {
            candidate?.stop(grace: 1, registry: registry, group: retiring)
            if error is Stopped { return }
            let message = String(error.userMessage.prefix(1000))
            logger.error("v\(version) failed: \(message)")
            if options.pinnedRelease == nil {
                do { try failures.record(release: version, deploy: deploy ?? "", error: message) } catch {
                    logger.warning("cannot remember the failure of v\(version): \(error.userMessage)")
                }
            }
            await report(.failed, release: previous?.version, target: version, healthy: previous?.webHealthy ?? false,
                         error: message, deploy: deploy)
            if options.pinnedRelease != nil { fatal = error; stop() }
            return
        }
        let new = candidate!
        proxy?.target = new.webPort
        running = new
        logger[metadataKey: "release"] = "v\(version)"
        logger.info("v\(version) is running\(new.webPort.map { " (web on internal port \($0))" } ?? "")")
        await report(.running, release: version, target: nil, healthy: new.webHealthy, deploy: deploy)
        if let previous { retire(previous) }
        installer.prune(keep: options.keepReleases, protected: [version])
    }

    /// Polls `url` every ~100 ms until it answers 2xx/3xx. A process of the release that exits
    /// meanwhile fails the check at once, with its exit status and last log lines.
    private func waitHealthy(_ r: RunningRelease, url: String, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastAnswer: Int?
        while true {
            if isStopping { throw Stopped() }
            try checkNoneExited(r, during: "the health check")
            if let status = try? probe.status(of: url, timeout: min(2, max(0.2, deadline.timeIntervalSinceNow))) {
                if (200..<400).contains(status) { r.webHealthy = true; return }
                lastAnswer = status
            }
            if Date() >= deadline {
                let last = lastAnswer.map { " (last answer: HTTP \($0))" } ?? ""
                throw RikerError(.deployFailed, "web did not answer \(url) within \(Int(timeout))s\(last)")
            }
            await supervise()
            try? await Task.sleep(nanoseconds: Self.tick)
        }
    }

    /// For releases without `web`: every process must stay up for `seconds`.
    private func waitStaysUp(_ r: RunningRelease, seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if isStopping { throw Stopped() }
            try checkNoneExited(r, during: "its first \(Int(seconds))s")
            try? await Task.sleep(nanoseconds: Self.tick)
        }
        try checkNoneExited(r, during: "its first \(Int(seconds))s")
    }

    private func checkNoneExited(_ r: RunningRelease, during what: String) throws {
        for p in r.processes {
            if let status = p.child?.poll() {
                let tail = p.logTail()
                throw RikerError(.deployFailed, "\(p.type) of \(r.release.name) exited (\(status)) during \(what)" + (tail.isEmpty ? "" : ": \(tail)"))
            }
        }
    }

    /// Stops an old release in the background once its proxied connections are done (or after `grace`).
    private func retire(_ old: RunningRelease) {
        let proxy = self.proxy, grace = options.grace, registry = self.registry, group = retiring
        logger.info("stopping \(old.release.name)")
        DispatchQueue.global().async(group: retiring) {
            if let port = old.webPort, let proxy {
                let deadline = Date().addingTimeInterval(grace)
                while proxy.activeConnections(to: port) > 0 && Date() < deadline { usleep(20_000) }
            }
            old.stop(grace: grace, registry: registry, group: group)
        }
    }

    // MARK: - Supervision

    /// Restarts crashed processes of the running release after their backoff; keeps `healthy` current.
    private func supervise() async {
        guard let r = running else { return }
        var changed = false
        for p in r.processes {
            if let status = p.checkExited(registry: registry) {
                logger.warning("\(p.type) exited (\(status)); restarting in \(Int(p.backoff))s")
                if p.type == "web", r.webHealthy { r.webHealthy = false; changed = true }
            }
            if p.dueForRestart() {
                do {
                    try p.restart(registry: registry)
                    logger.info("restarted \(p.type) (pid \(p.pid ?? 0), restart \(p.restarts))")
                } catch {
                    logger.error("cannot restart \(p.type): \(error.userMessage)")
                }
            }
        }
        if let web = r.web, let url = r.healthURL, !r.webHealthy, web.isRunning,
           let status = try? probe.status(of: url, timeout: 0.5), (200..<400).contains(status) {
            r.webHealthy = true
            changed = true
        }
        if changed, var status = lastStatus, status.release == r.version {
            status.healthy = r.webHealthy
            status.updatedAt = Date()
            await write(status)
        }
    }

    // MARK: - Status and shutdown

    private var address: String? {
        guard let proxy else { return nil }
        return "http://\(options.host):\(proxy.port)"
    }

    private func report(_ state: InstanceStatus.State, release: Int?, target: Int?, healthy: Bool, error: String? = nil, deploy: String?) async {
        let serving = release != nil && release == running?.version && running?.webPort != nil
        await write(InstanceStatus(instance: options.instanceID, release: release, target: target, state: state, healthy: healthy,
                                   address: serving ? address : nil, error: error, deploy: deploy, pid: getpid()))
    }

    private func write(_ status: InstanceStatus) async {
        lastStatus = status
        do { try await store.writeStatus(options.app, options.env, status) } catch {
            logger.warning("cannot write status to \(store.url): \(error.userMessage)")
        }
    }

    private func shutdown(_ proxy: TCPProxy) async {
        logger.info("stopping the app's processes")
        await proxy.close()
        proxy.target = nil
        running?.stop(grace: options.grace, registry: registry, group: retiring)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            retiring.notify(queue: .global()) { done.resume() }
        }
        // A failure stays readable in the last status (why a pinned release ended the agent).
        let failed = lastStatus?.state == .failed ? lastStatus : nil
        await write(InstanceStatus(instance: options.instanceID, release: running?.version, target: failed?.target, state: .stopped,
                                   healthy: false, address: nil, error: failed?.error, deploy: lastStatus?.deploy, pid: getpid()))
        logger.info("stopped")
    }
}
