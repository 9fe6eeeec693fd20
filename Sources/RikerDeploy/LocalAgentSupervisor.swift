import Foundation
import Logging
import RikerCore
import RikerRelease
import ServiceLifecycle
import UnixSignals

/// The heart of `riker serve` on the local target: keeps one riker-agent running for every
/// app env deployed here, so apps outlive the push that deployed them and come back after a
/// restart. Agents learn what to run from the store, exactly as on a fleet.
///
/// A ServiceLifecycle service: it scans the store every `interval` and at once on SIGUSR1 (a
/// local deploy's poke), and on graceful shutdown stops its agents (which stop their apps).
public actor LocalAgentSupervisor: Service {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    let agentBinary: URL
    let clock: any Clock<Duration>
    let logger = RikerLogging.logger("serve")
    private var agents: [String: ChildProcess] = [:]
    private var lastSpawn: [String: ContinuousClock.Instant] = [:]

    public init(paths: RikerPaths, store: any ReleaseStore, agentBinary: URL = Installation.agentBinary,
                clock: any Clock<Duration> = ContinuousClock()) {
        self.paths = paths; self.store = store; self.agentBinary = agentBinary; self.clock = clock
    }

    /// Seconds between scans. A scan reads every app env; on S3 that costs requests, so it
    /// scans less often there (a local deploy pokes the server, so it never waits for a scan).
    var interval: Duration { store is LocalReleaseStore ? .seconds(1) : .seconds(10) }

    public func run() async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake.yield()
        let clock = self.clock, interval = self.interval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigusr1) { wake.yield() }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await clock.sleep(for: interval)
                    wake.yield()
                }
            }
            group.addTask {
                try? await gracefulShutdown()
                wake.finish()
            }
            for await _ in wakes { await scan() }
            group.cancelAll()
        }
        await stopAll()
    }

    private var recovery: DeployRecovery { DeployRecovery(store: store, output: .null) }
    private var holder: String { "riker serve on \(ProcessInfo.processInfo.hostName):\(getpid())" }

    /// One pass: recover interrupted deploys, start missing agents, restart dead ones, stop
    /// agents of destroyed apps.
    func scan() async {
        var wanted = Set<String>()
        do {
            for app in try await store.appNames() {
                guard let settings = try await store.app(app)?.settings else { continue }
                for env in settings.environments {
                    // A deploy whose process died mid-way is put in order by whoever comes next.
                    do { try await recovery.recoverIfAbandoned(app, env, holder: holder) } catch {
                        logger.error("cannot recover the interrupted deploy of \(app) (\(env)): \(error.userMessage)")
                    }
                    guard let deploy = try? DeploySettings(settings, env: env), deploy.target == .local, let port = deploy.localPort else { continue }
                    var hasWork = try await store.current(app, env).version != nil
                    if !hasWork { hasWork = try await store.desired(app, env, instance: LocalFleet.instanceID) != nil }
                    guard hasWork else { continue }
                    wanted.insert("\(app)/\(env)")
                    ensureAgent(app: app, env: env, port: port)
                }
            }
        } catch {
            logger.error("cannot scan the store: \(error.userMessage)")
            return
        }
        for key in agents.keys.sorted() where !wanted.contains(key) {
            let child = agents.removeValue(forKey: key)!
            logger.info("stopping the agent of \(key): the app env is gone")
            await child.stop(grace: 20)
        }
        await stopOrphans(wanted: wanted)
    }

    /// Agents a previous `riker serve` started (still running, holding their lock) for app envs
    /// that are no longer wanted here are stopped; the directories of destroyed apps go.
    func stopOrphans(wanted: Set<String>) async {
        let fm = FileManager.default
        // Without a listing, nothing is known to be gone.
        guard let apps = (try? await store.appNames()).map(Set.init) else { return }
        for app in (try? fm.contentsOfDirectory(atPath: paths.instancesDir.path)) ?? [] where AppName.isValid(app) {
            for env in (try? fm.contentsOfDirectory(atPath: paths.instancesDir.appendingPathComponent(app).path)) ?? [] {
                let key = "\(app)/\(env)"
                guard !wanted.contains(key), agents[key] == nil else { continue }
                let dir = paths.agentDirectory(app: app, env: env, instance: LocalFleet.instanceID)
                if let probe = try? FileLock.tryLock(dir.lock) {
                    probe.unlock()
                    if !apps.contains(app) { try? fm.removeItem(at: paths.instancesDir.appendingPathComponent(app).appendingPathComponent(env)) }
                } else if let data = try? AtomicFile.read(dir.agentPID),
                          let agent = ProcessIdentity(parsing: String(decoding: data, as: UTF8.self)), agent.isAlive {
                    logger.info("stopping the agent of \(key) left by an earlier riker serve: the app env is gone")
                    kill(agent.pid, SIGTERM)
                }
            }
        }
        for app in (try? fm.contentsOfDirectory(atPath: paths.instancesDir.path)) ?? [] where !apps.contains(app) {
            if ((try? fm.contentsOfDirectory(atPath: paths.instancesDir.appendingPathComponent(app).path)) ?? []).isEmpty {
                try? fm.removeItem(at: paths.instancesDir.appendingPathComponent(app))
            }
        }
    }

    func ensureAgent(app: String, env: String, port: Int) {
        let key = "\(app)/\(env)"
        if let running = agents[key] {
            guard let status = running.poll() else { return }
            logger.warning("agent of \(key) exited (\(status)); restarting")
            agents[key] = nil
        }
        let agentDir = paths.agentDirectory(app: app, env: env, instance: LocalFleet.instanceID)
        let dir = agentDir.dir
        // Apps' own users must reach their release dirs through here, and list nothing.
        for level in [paths.instancesDir, dir.deletingLastPathComponent().deletingLastPathComponent(), dir.deletingLastPathComponent()] {
            try? FileManager.default.createDirectory(at: level, withIntermediateDirectories: true)
            chmod(level.path, 0o711)
        }
        // An agent left by an earlier `riker serve` still holds its lock: let it keep serving.
        guard let probe = try? FileLock.tryLock(agentDir.lock) else { return }
        probe.unlock()
        if let last = lastSpawn[key], last.duration(to: .now) < .seconds(2) { return }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let logFD = open(agentDir.agentLog.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            defer { if logFD >= 0 { close(logFD) } }
            var spec = ProcessSpec(agentBinary.path, [
                "run", "--store", store.url, "--app", app, "--env", env,
                "--instance-id", LocalFleet.instanceID, "--dir", dir.path, "--port", String(port),
                "--container-storage", paths.containerStorage.path, "--poll-interval", String(LocalFleet.agentPollInterval),
            ] + (AppUser.canSwitch ? ["--app-uid", String(try AppUsers(paths: paths).users(of: app).run.uid)] : []))
            spec.stdout = logFD >= 0 ? .fd(logFD) : .null
            spec.stderr = logFD >= 0 ? .fd(logFD) : .null
            let child = try ChildProcess.spawn(spec)
            logger.info("started agent for \(key) on port \(port) (pid \(child.pid))")
            agents[key] = child
            lastSpawn[key] = .now
        } catch {
            logger.error("cannot start the agent of \(key): \(error.userMessage)")
        }
    }

    /// Stops every agent at once (each stops its app's processes first), waiting up to 25 s.
    func stopAll() async {
        let all = agents
        agents = [:]
        await withTaskGroup(of: Void.self) { group in
            for (key, child) in all {
                group.addTask { [logger] in
                    child.signal(SIGTERM)
                    if await Blocking.run({ child.wait(timeout: 25) }) == nil {
                        logger.warning("agent of \(key) did not stop in time; killing it")
                        await child.stop(grace: 0)
                    }
                }
            }
        }
    }
}
