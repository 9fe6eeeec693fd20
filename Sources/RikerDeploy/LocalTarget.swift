import Foundation
import RikerCore
import RikerRelease

/// The embedded default target: one riker-agent per app env on this machine, run by
/// `riker serve`, driven like any other instance through `desired` and `status` in the store.
public struct LocalTarget: DeployTarget {
    public static let instanceID = "local-1"
    public let paths: RikerPaths
    public let store: any ReleaseStore

    /// The app's settings as the deploy read them (health timeout, port).
    public let settings: AppSettings

    public init(paths: RikerPaths, store: any ReleaseStore, settings: AppSettings) {
        self.paths = paths; self.store = store; self.settings = settings
    }

    public func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String {
        let app = release.app, env = release.env, id = Self.instanceID
        var port = settings.value("local.port", env: env).flatMap(Int.init) ?? 0
        if port == 0 { port = try await LocalPorts(paths: paths, store: store).port(app: app, env: env) }
        guard LocalServer.isRunning(paths) else {
            throw RikerError(.deployFailed, "riker serve is not running on this machine: start it (script/run), then push again")
        }
        let healthTimeout = settings.value("deploy.timeout_seconds", env: env).flatMap(Double.init) ?? 60
        await context.update { $0.batches = [.init(instances: [id])] }

        try await store.setDesired(app, env, instance: id, DesiredRelease(release: release.version, deploy: context.id))
        LocalServer.poke(paths)
        let status = try await waitForAgent(app: app, env: env, release: release.version, deploy: context.id,
                                            timeout: healthTimeout + 120, context: context)
        if status.state == .running {
            await context.update { $0.batches[0].outcome = .succeeded; $0.batches[0].finishedAt = Date() }
            return status.address ?? "http://127.0.0.1:\(port)"
        }
        // Failed: the agent kept the previous release running; point `desired` back at it.
        if let previous {
            try? await store.setDesired(app, env, instance: id, DesiredRelease(release: previous.version, deploy: context.id))
        }
        await context.update { $0.batches[0].outcome = .rolledBack; $0.batches[0].finishedAt = Date() }
        throw RikerError(.deployFailed, status.error ?? "\(id) could not start \(release.name)")
    }

    /// Waits until the agent answers this deploy: running `release` healthy, or failed on it.
    func waitForAgent(app: String, env: String, release: Int, deploy: String, timeout: Double, context: DeployContext) async throws -> InstanceStatus {
        let id = Self.instanceID
        let deadline = Date().addingTimeInterval(timeout)
        var lastState: InstanceStatus.State?
        while Date() < deadline {
            if let s = try await store.status(app, env, instance: id), s.deploy == deploy {
                if s.state != lastState {
                    lastState = s.state
                    switch s.state {
                    case .installing: await context.event(id, release: release, "installing v\(release)")
                    case .running where s.release == release && s.healthy:
                        await context.event(id, release: release, "v\(release) is up and healthy")
                        return s
                    case .failed where s.target == release:
                        await context.event(id, release: release, "failed", detail: s.error)
                        return s
                    default: lastState = nil
                    }
                }
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        await context.event(id, release: release, "timed out")
        return InstanceStatus(instance: id, release: nil, target: release, state: .failed, healthy: false, address: nil,
                              error: "no answer from the local agent within \(Int(timeout))s", deploy: deploy)
    }
}

/// The `riker serve` process of this root, found through its lock and pid files.
public enum LocalServer {
    public static func lockFile(_ paths: RikerPaths) -> URL { paths.root.appendingPathComponent("serve.lock") }
    public static func pidFile(_ paths: RikerPaths) -> URL { paths.root.appendingPathComponent("serve.pid") }

    /// True when a `riker serve` holds the root's serve lock.
    public static func isRunning(_ paths: RikerPaths) -> Bool {
        guard let lock = try? FileLock.tryLock(lockFile(paths)) else { return true }
        lock.unlock()
        return false
    }

    /// Asks the server to look for new work now (SIGUSR1) instead of at its next scan.
    public static func poke(_ paths: RikerPaths) {
        guard let data = try? AtomicFile.read(pidFile(paths)),
              let pid = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else { return }
        kill(pid, SIGUSR1)
    }
}

/// Ports of local instances: each app env gets its own, recorded as `local.port` in app.json.
public struct LocalPorts {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public static let first = 5100

    /// The app env's port, choosing and recording a free one on first use.
    public func port(app: String, env: String) async throws -> Int {
        if let p = try await store.app(app)?.settings.value("local.port", env: env).flatMap(Int.init) { return p }
        let lock = try FileLock(paths.root.appendingPathComponent("ports.lock"))
        defer { lock.unlock() }
        var used = Set<Int>()
        for name in try await store.appNames() {
            guard let s = try await store.app(name)?.settings else { continue }
            if let p = s.settings["local.port"].flatMap(Int.init) { used.insert(p) }
            for (_, vals) in s.envSettings { if let p = vals["local.port"].flatMap(Int.init) { used.insert(p) } }
        }
        var candidate = Self.first
        while used.contains(candidate) || !Loopback.canBind(candidate) { candidate += 1 }
        let chosen = candidate
        try await store.updateApp(app) { $0.envSettings[env, default: [:]]["local.port"] = String(chosen) }
        return chosen
    }
}
