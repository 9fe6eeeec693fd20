import Foundation
import Logging
import RikerCore
import RikerRelease
import ServiceLifecycle

/// riker-agent: makes one instance run what the store says it should. A ServiceLifecycle
/// service; its state is this actor's, and each concern is a part of its own:
/// `WantedRelease` watches the store, `ReleaseLauncher` installs and health-checks a release,
/// `ProcessSupervisor` restarts crashed processes, `Retirer` drains and stops old releases.
///
/// A new release is installed beside the running one, health-checked on its own port, and
/// only then receives traffic (the proxy's target changes); the old one is retired. Every step
/// is reported in `instances/ID/status` (see `InstanceStatus`), and told in the app's log
/// stream as `riker[agent@ID]` lines beside the processes' output (`AgentLogs`).
public actor Agent: Service {
    let options: AgentOptions
    let store: any ReleaseStore
    let paths: AgentDirectory
    let clock: any Clock<Duration>
    let registry: ProcessRegistry
    let installer: ReleaseInstaller
    let imageInstaller: ImageInstaller
    let wanted: WantedRelease
    let launcher: ReleaseLauncher
    let supervisor: ProcessSupervisor
    let logs: AgentLogs
    private var logger: Logger

    private var proxy: TCPProxy?
    private var retirer: Retirer?
    private var running: (any StartedRelease)?
    private var lastStatus: InstanceStatus?
    /// Releases that failed here, by (release, deploy): not retried for the same deploy,
    /// even by a restarted agent (`DIR/failures.json`).
    private var failures: FailedReleases
    private var fatal: Error?
    private let stopFlag = StopFlag()

    /// How long a release that failed while following `current` (no deploy id) waits before a retry.
    static let retryWithoutDeploy: Double = 30

    public init(options: AgentOptions, store: any ReleaseStore, clock: any Clock<Duration> = ContinuousClock()) {
        self.init(options: options, store: store, probe: CurlHealthProbe(), clock: clock)
    }

    init(options: AgentOptions, store: any ReleaseStore, probe: any HealthProbe, clock: any Clock<Duration> = ContinuousClock()) {
        self.options = options
        self.store = store
        self.clock = clock
        paths = AgentDirectory(options.dir)
        var logger = RikerLogging.logger("agent")
        logger[metadataKey: "app"] = "\(options.app)"
        logger[metadataKey: "env"] = "\(options.env)"
        logger[metadataKey: "instance"] = "\(options.instanceID)"
        self.logger = logger
        registry = ProcessRegistry(file: paths.processes, logger: logger)
        failures = FailedReleases(file: paths.failures)
        installer = ReleaseInstaller(store: store, paths: paths, logger: logger)
        imageInstaller = ImageInstaller(store: store, paths: paths, logger: logger, storage: options.containerStorage)
        wanted = WantedRelease(options: options, store: store, logger: logger)
        logs = AgentLogs(store: store, app: options.app, env: options.env, instance: options.instanceID, logger: logger)
        launcher = ReleaseLauncher(installer: installer, imageInstaller: imageInstaller, paths: paths, registry: registry, probe: probe,
                                   clock: clock, user: options.appUser, logger: logger, logs: logs.stream)
        supervisor = ProcessSupervisor(registry: registry, probe: probe, logger: logger)
    }

    /// The port the proxy listens on, once `run()` has bound it.
    public var port: Int? { proxy?.port }

    /// Asks `run()` to stop the app's processes and return (what graceful shutdown does).
    public nonisolated func stop() { stopFlag.set() }

    private var isStopping: Bool { stopFlag.isSet || Task.isCancelled }

    /// Runs until graceful shutdown (SIGTERM/SIGINT in a ServiceGroup) or `stop()`, then stops
    /// the app's processes gracefully.
    ///
    /// Throws `.locked` when another agent holds `DIR/agent.lock`, `.io` when the port cannot be
    /// bound, and, for a pinned release, the reason its install failed.
    public func run() async throws {
        try paths.create()
        guard let lock = try FileLock.tryLock(paths.lock) else {
            throw RikerError(.locked, "another riker-agent is running in \(paths.dir.path) (it holds agent.lock); stop it first")
        }
        defer { lock.unlock() }
        if let me = ProcessIdentity.of(getpid()) { try? AtomicFile.write(Data("\(me)\n".utf8), to: paths.agentPID) }
        await Blocking.run { [registry, imageInstaller] in
            _ = registry.killLeftovers(grace: 5)
            imageInstaller.removeLeftovers()
        }
        failures = FailedReleases(file: paths.failures) { [logger] in logger.warning("\($0)") }
        installer.removeStaging()

        let proxy = try await TCPProxy.start(host: options.host, port: options.port)
        self.proxy = proxy
        let retirer = Retirer(grace: options.grace, registry: registry, proxy: proxy, clock: clock, logger: logger)
        self.retirer = retirer
        logger.info("listening on \(options.host):\(proxy.port), store \(store.url)")

        let logs = self.logs
        await withDiscardingTaskGroup { shipping in
            shipping.addTask { await logs.run() }
            await withDiscardingTaskGroup { group in
                group.addTask { await retirer.run() }
                await withGracefulShutdownHandler {
                    await loop()
                } onGracefulShutdown: { [stopFlag] in
                    stopFlag.set()
                }
                await shutdown(proxy)
                retirer.finish()
            }
            // Every process has stopped and its last lines are in the stream: ship them, then end.
            await logs.closeDrain()
            shipping.cancelAll()
        }
        await reportStopped()
        if let fatal { throw fatal }
    }

    /// Every tick (or poll interval, when shorter): supervise the running release; every poll
    /// interval: read what to run.
    private func loop() async {
        let tick = min(ReleaseLauncher.tick, .milliseconds(max(10, Int(options.pollInterval * 1000))))
        var sincePoll: Stopwatch?
        var sinceDrainCheck: Stopwatch?
        while !isStopping {
            if sinceDrainCheck.map({ $0.exceeded(AgentLogs.drainCheckInterval) }) ?? true {
                sinceDrainCheck = Stopwatch(clock)
                await logs.refreshDrain()
            }
            if sincePoll.map({ $0.exceeded(options.pollInterval) }) ?? true {
                sincePoll = Stopwatch(clock)
                await pollStore()
            }
            await supervise()
            try? await clock.sleep(for: tick)
        }
    }

    // MARK: - What to run

    private func pollStore() async {
        do {
            let next: DesiredRelease?
            if let pinned = options.pinnedRelease { next = DesiredRelease(release: pinned, deploy: "") } else { next = try await wanted.read() }
            guard let next else { return }
            await reconcile(next)
        } catch {
            logger.warning("cannot read what to run from \(store.url): \(error.userMessage)")
        }
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
            // Nothing runs (the agent restarted) and what it is told to run fails: serve the last
            // release that was healthy here rather than nothing, until a deploy fixes `desired`.
            if running == nil, let fallback = lastHealthy(), fallback != wanted.release,
               failures.failure(release: fallback, deploy: "") == nil {
                logger.warning("v\(wanted.release) failed here; falling back to v\(fallback), the last release that was healthy here")
                logs.event("v\(wanted.release) failed here; falling back to v\(fallback), the last release that was healthy here")
                await install(fallback, deploy: nil)
                if running?.version == fallback { lastStatus = nil }
            }
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

    private func install(_ version: Int, deploy: String?) async {
        let previous = running
        logger.info("installing v\(version)", metadata: deploy.map { ["deploy": "\($0)"] })
        logs.event("installing v\(version)" + (deploy.map { " (deploy \($0))" } ?? ""))
        await logs.refreshDrain()
        await report(.installing, release: previous?.version, target: version, healthy: previous?.webHealthy ?? false, deploy: deploy)
        let new: any StartedRelease
        let installStart = ContinuousClock.now
        defer { PhaseTrace.end("agent.install-total", since: installStart) }
        do {
            guard let release = try await PhaseTrace.measure("agent.read-release", { try await store.release(options.app, options.env, version) }) else {
                throw RikerError(.notFound, "release v\(version) of \(options.app) (\(options.env)) is not in the store \(store.url)")
            }
            let settings = try await deploySettings()
            new = try await launcher.launch(release, settings: settings, whileWaiting: { await self.supervise() },
                                            isStopping: { self.stopFlag.isSet || Task.isCancelled })
        } catch is ReleaseLauncher.Stopped {
            return
        } catch {
            let failure = (error as? ReleaseLauncher.Failure)?.report ?? FailureReport(summary: error.userMessage)
            let message = failure.text
            // Riker's own words only in its logs: what the app printed is in the stream already, as
            // its lines; the status keeps the report (with those lines) for the pusher.
            logger.error("v\(version) failed: \(failure.summary)")
            logs.event("v\(version) failed: \(failure.summary.prefix(1000))" + (previous.map { "; v\($0.version) keeps running" } ?? ""))
            if options.pinnedRelease == nil {
                do { try failures.record(release: version, deploy: deploy ?? "", error: message) } catch {
                    logger.warning("cannot remember the failure of v\(version): \(error.userMessage)")
                }
            }
            await report(.failed, release: previous?.version, target: version, healthy: previous?.webHealthy ?? false,
                         error: message, deploy: deploy)
            // The one-shot deploy says it all on its terminal: the summary and the process's last lines.
            if options.pinnedRelease != nil { fatal = error is ReleaseLauncher.Failure ? RikerError(.deployFailed, failure.text) : error; stop() }
            return
        }
        proxy?.target = new.webPort
        running = new
        try? AtomicFile.write(Data("v\(version)\n".utf8), to: paths.lastHealthy)
        logger[metadataKey: "release"] = "v\(version)"
        logger.info("v\(version) is running\(new.webPort.map { " (web on internal port \($0))" } ?? "")")
        logs.event(new.webPort != nil ? "v\(version) passed its health check; switched to v\(version)" : "v\(version) is up; switched to v\(version)")
        await PhaseTrace.measure("agent.report-running") { await report(.running, release: version, target: nil, healthy: new.webHealthy, deploy: deploy) }
        if let previous {
            logs.event("stopping v\(previous.version)")
            retirer?.retire(previous)
        }
        let installer = self.installer, imageInstaller = self.imageInstaller, keep = options.keepReleases
        await Blocking.run {
            installer.prune(keep: keep, protected: [version])
            imageInstaller.prune(keep: keep, protected: [version])
        }
    }

    private func lastHealthy() -> Int? {
        (try? AtomicFile.read(paths.lastHealthy)).flatMap { $0.flatMap { parseVersion(String(decoding: $0, as: UTF8.self)) } }
    }

    /// The app env's deploy settings (health path, timeout), read from the store for each install.
    private func deploySettings() async throws -> DeploySettings {
        try DeploySettings(try await store.app(options.app)?.settings ?? AppSettings(name: options.app), env: options.env)
    }

    // MARK: - Supervision

    private func supervise() async {
        guard let r = running, await supervisor.supervise(r) else { return }
        if var status = lastStatus, status.release == r.version {
            status.healthy = r.webHealthy
            status.processes = r.processes.map(\.status)
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
        let processes = release != nil && release == running?.version ? running?.processes.map(\.status) : nil
        await write(InstanceStatus(instance: options.instanceID, release: release, target: target, state: state, healthy: healthy,
                                   address: serving ? address : nil, error: error, deploy: deploy, pid: getpid(), processes: processes))
    }

    private func write(_ status: InstanceStatus) async {
        lastStatus = status
        do { try await store.writeStatus(options.app, options.env, status) } catch {
            logger.warning("cannot write status to \(store.url): \(error.userMessage)")
        }
    }

    private func shutdown(_ proxy: TCPProxy) async {
        logger.info("stopping the app's processes")
        if let running { logs.event("stopping v\(running.version): the agent is shutting down") }
        await proxy.close()
        proxy.target = nil
        await running?.stop(grace: options.grace, registry: registry)
    }

    private func reportStopped() async {
        // A failure stays readable in the last status (why a pinned release ended the agent).
        let failed = lastStatus?.state == .failed ? lastStatus : nil
        await write(InstanceStatus(instance: options.instanceID, release: running?.version, target: failed?.target, state: .stopped,
                                   healthy: false, address: nil, error: failed?.error, deploy: lastStatus?.deploy, pid: getpid()))
        logger.info("stopped")
    }
}

/// A flag set once, from any thread (signal handlers, graceful shutdown, tests).
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
