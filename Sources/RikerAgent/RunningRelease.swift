import Foundation
import RikerCore
import RikerLogs
import RikerRelease

/// The processes of one installed release (its formation: `Formation.processes`), and the
/// internal port its `web` process listens on.
final class RunningRelease: @unchecked Sendable {
    let release: Release
    let directory: URL
    /// The port `web` gets as `PORT`; the proxy forwards to it. Nil without a web process.
    let webPort: Int?
    let processes: [AppProcess]
    /// `http://127.0.0.1:PORT/HEALTH_PATH` of `web`, nil without one.
    var healthURL: String?
    /// Whether `web` answered its health check since it was last (re)started; for a release
    /// without `web`, whether its processes stayed up through their settle time.
    var webHealthy = false

    var version: Int { release.version }
    var web: AppProcess? { processes.first { $0.type == "web" } }

    /// Where each process's environment is written for debugging (the agent's, not the app's).
    let envFiles: [String: URL]

    /// Throws when a process's program cannot be found (no setpriv to drop to `user`).
    /// The processes' output goes to `logs` (and each one's log file).
    init(release: Release, directory: URL, paths: AgentDirectory, user: AppUser?, logs: LogStream? = nil) throws {
        self.release = release
        self.directory = directory
        // web first, then the rest in name order, so logs and status read the same every time.
        let planned = release.effectiveFormation.processes(of: release.processTypes)
        let port = planned.contains { $0.type == "web" } ? Self.ephemeralPort() : nil
        webPort = port
        processes = try planned.map { type, index in
            AppProcess(type: type, index: index, release: release.version,
                       spec: try ReleaseEnvironment.spec(type: type, index: index, command: release.processTypes[type]!, release: release,
                                                         directory: directory, webPort: port, user: user),
                       logFile: paths.log(release.version, "\(type).\(index)"), logs: logs)
        }
        envFiles = Dictionary(uniqueKeysWithValues: processes.map { ($0.name, paths.envFile(release.version, $0.name)) })
    }

    /// Starts every process; on failure stops the ones already started and rethrows.
    func start(registry: ProcessRegistry) throws {
        for p in processes {
            try ReleaseEnvironment.writeDebugFile(ReleaseEnvironment.forProcess(p.type, index: p.index, release: release, directory: directory,
                                                                                webPort: webPort),
                                                  to: envFiles[p.name]!)
        }
        for (i, p) in processes.enumerated() {
            do { try p.start(registry: registry) } catch {
                for q in processes[..<i] { q.stop(grace: 0, registry: registry) }
                throw RikerError(.deployFailed, "cannot start \(p.name) of \(release.name): \(error.userMessage)")
            }
        }
    }

    /// Stops every process in parallel (SIGTERM, `grace`, SIGKILL), off the cooperative pool.
    func stop(grace: Double, registry: ProcessRegistry) async {
        await withDiscardingTaskGroup { group in
            for p in processes {
                group.addTask { await Blocking.run { p.stop(grace: grace, registry: registry) } }
            }
        }
    }

    /// A port on 127.0.0.1 that was free a moment ago.
    static func ephemeralPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
