import Foundation

/// The layout of a riker-agent's directory: lock, process records, release dirs, slug cache,
/// logs. The agent works in it; `riker serve` probes the lock of the local agents it runs.
public struct AgentDirectory: Sendable {
    public let dir: URL

    public init(_ dir: URL) { self.dir = dir.standardizedFileURL }

    /// Held with flock for the agent's whole life; the server probes it to see if an agent is alive.
    public var lock: URL { dir.appendingPathComponent("agent.lock") }
    /// The agent holding the lock (`PID:STARTTIME`), so a server can stop one it did not start.
    public var agentPID: URL { dir.appendingPathComponent("agent.pid") }
    /// Process groups this agent started, so a successor can clean up after a crash.
    public var processes: URL { dir.appendingPathComponent("processes.json") }
    /// Releases that failed here, by deploy (see `FailedReleases`).
    public var failures: URL { dir.appendingPathComponent("failures.json") }
    public var releases: URL { dir.appendingPathComponent("releases") }
    /// The last release that passed its health check here: what the agent falls back to when
    /// the release it is told to run fails and nothing runs (after a restart).
    public var lastHealthy: URL { dir.appendingPathComponent("last-healthy") }
    public var cache: URL { dir.appendingPathComponent("cache") }
    public var logs: URL { dir.appendingPathComponent("logs") }
    /// The environment each release's processes got (for debugging on the instance): the
    /// agent's alone (0700), outside anything an app serves or its user can read.
    public var env: URL { dir.appendingPathComponent("env") }
    public func envFile(_ version: Int, _ type: String) -> URL { env.appendingPathComponent("v\(version)-\(type).env") }
    /// The agent's own output when `riker serve` runs it.
    public var agentLog: URL { dir.appendingPathComponent("agent.log") }

    /// Creates the directory and its parts with modes that let an app's own user reach its
    /// release dir (0711 on the way) and read nothing else: caches, logs and environments are
    /// the agent's alone (0700).
    public func create() throws {
        let fm = FileManager.default
        for (url, mode) in [(dir, 0o711), (releases, 0o711), (cache, 0o700), (logs, 0o700), (env, 0o700)] as [(URL, mode_t)] {
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            chmod(url.path, mode)
        }
    }

    public func release(_ version: Int) -> URL { releases.appendingPathComponent("v\(version)") }
    public func log(_ version: Int, _ type: String) -> URL { logs.appendingPathComponent("v\(version)-\(type).log") }
}
