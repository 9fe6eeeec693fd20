import Foundation
import Logging
import RikerCore
import RikerRelease

/// The heart of `riker serve` on the local target: keeps one riker-agent running for every
/// app env deployed here, so apps outlive the push that deployed them and come back after a
/// restart. Agents learn what to run from the store, exactly as on a fleet.
public final class LocalAgentSupervisor: @unchecked Sendable {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    let agentBinary: URL
    let logger = RikerLogging.logger("serve")
    private let lock = NSLock()
    private var agents: [String: (child: ChildProcess, started: Date)] = [:]
    private var lastSpawn: [String: Date] = [:]
    private var poked = false
    private var stopping = false

    public init(paths: RikerPaths, store: any ReleaseStore, agentBinary: URL = Installation.agentBinary) {
        self.paths = paths; self.store = store; self.agentBinary = agentBinary
    }

    /// Asks for a scan now (from the SIGUSR1 handler).
    public func poke() { lock.withLock { poked = true } }

    /// Asks `run()` to stop its agents and return.
    public func stop() { lock.withLock { stopping = true } }

    /// Scans the store every second (10 s on S3), or at once when poked, until `stop()`, then stops the agents.
    public func run() async {
        while !lock.withLock({ stopping }) {
            await scan()
            // A scan reads every app env; on S3 that costs requests, so scan less often there
            // (a local deploy pokes the server, so it never waits for a scan either way).
            let ticks = store is LocalReleaseStore ? 20 : 200
            for _ in 0..<ticks {
                if lock.withLock({ let p = poked || stopping; poked = false; return p }) { break }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        stopAll()
    }

    /// One pass: start missing agents, stop agents of destroyed apps.
    func scan() async {
        var wanted = Set<String>()
        do {
            for app in try await store.appNames() {
                guard let settings = try await store.app(app)?.settings else { continue }
                for env in settings.environments where (settings.value("target", env: env) ?? "local") == "local" {
                    var hasWork = try await store.current(app, env).version != nil
                    if !hasWork { hasWork = try await store.desired(app, env, instance: LocalTarget.instanceID) != nil }
                    guard hasWork, let port = settings.value("local.port", env: env).flatMap(Int.init) else { continue }
                    wanted.insert("\(app)/\(env)")
                    ensureAgent(app: app, env: env, port: port)
                }
            }
        } catch {
            logger.error("cannot scan the store: \(error.userMessage)")
            return
        }
        let gone: [(String, ChildProcess)] = lock.withLock {
            let keys = agents.keys.filter { !wanted.contains($0) }
            return keys.map { k in (k, agents.removeValue(forKey: k)!.child) }
        }
        for (key, child) in gone {
            logger.info("stopping the agent of \(key): the app env is gone")
            child.terminate(grace: 20)
        }
    }

    func ensureAgent(app: String, env: String, port: Int) {
        let key = "\(app)/\(env)"
        if let running = lock.withLock({ agents[key] }) {
            guard let status = running.child.poll() else { return }
            logger.warning("agent of \(key) exited (\(status)); restarting")
            _ = lock.withLock { agents.removeValue(forKey: key) }
        }
        let dir = paths.instanceDir(app: app, env: env, instance: LocalTarget.instanceID)
        // An agent left by an earlier `riker serve` still holds its lock: let it keep serving.
        guard let probe = try? FileLock.tryLock(dir.appendingPathComponent("agent.lock")) else { return }
        probe.unlock()
        if let last = lock.withLock({ lastSpawn[key] }), Date().timeIntervalSince(last) < 2 { return }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let logFD = open(dir.appendingPathComponent("agent.log").path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            defer { if logFD >= 0 { close(logFD) } }
            var spec = ProcessSpec(agentBinary.path, [
                "run", "--store", store.url, "--app", app, "--env", env,
                "--instance-id", LocalTarget.instanceID, "--dir", dir.path, "--port", String(port),
            ])
            spec.stdout = logFD >= 0 ? .fd(logFD) : .null
            spec.stderr = logFD >= 0 ? .fd(logFD) : .null
            let child = try ChildProcess.spawn(spec)
            logger.info("started agent for \(key) on port \(port) (pid \(child.pid))")
            lock.withLock {
                agents[key] = (child, Date())
                lastSpawn[key] = Date()
            }
        } catch {
            logger.error("cannot start the agent of \(key): \(error.userMessage)")
        }
    }

    func stopAll() {
        let all = lock.withLock { let a = agents; agents = [:]; return a }
        for (_, a) in all { a.child.signal(SIGTERM) }
        for (key, a) in all {
            if a.child.wait(timeout: 25) == nil {
                logger.warning("agent of \(key) did not stop in time; killing it")
                a.child.terminate(grace: 0)
            }
        }
    }
}
