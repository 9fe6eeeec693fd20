import Foundation
import RikerCore
import RikerRelease

/// The `riker serve` process of this root, found through its lock and pid files.
public enum LocalServer {
    /// True when a `riker serve` holds the root's serve lock.
    public static func isRunning(_ paths: RikerPaths) -> Bool {
        guard let lock = try? FileLock.tryLock(paths.serveLock) else { return true }
        lock.unlock()
        return false
    }

    /// Asks the server to look for new work now (SIGUSR1) instead of at its next scan.
    public static func poke(_ paths: RikerPaths) {
        guard let data = try? AtomicFile.read(paths.servePID),
              let pid = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else { return }
        kill(pid, SIGUSR1)
    }
}

/// Ports of local instances: each app env gets its own, recorded as `local.port` in app.json.
public struct LocalPorts {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public static let first = 5100

    /// Chooses a free port for the app env and records it, unless `local.port` is set by then.
    public func assign(app: String, env: String) async throws -> Int {
        let lock = try await Blocking.run { [paths] in try FileLock(paths.portsLock) }
        defer { lock.unlock() }
        if let p = try await store.app(app)?.settings.value("local.port", env: env).flatMap(Int.init) { return p }
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
