import Foundation

/// The layout of an agent's directory: lock, process records, release dirs, slug cache, logs.
struct AgentPaths {
    let dir: URL

    init(_ dir: URL) { self.dir = dir.standardizedFileURL }

    /// Held with flock for the agent's whole life; the server probes it to see if an agent is alive.
    var lock: URL { dir.appendingPathComponent("agent.lock") }
    /// Process groups this agent started, so a successor can clean up after a crash.
    var processes: URL { dir.appendingPathComponent("processes.json") }
    /// Releases that failed here, by deploy (see `FailedReleases`).
    var failures: URL { dir.appendingPathComponent("failures.json") }
    var releases: URL { dir.appendingPathComponent("releases") }
    var cache: URL { dir.appendingPathComponent("cache") }
    var logs: URL { dir.appendingPathComponent("logs") }

    func release(_ version: Int) -> URL { releases.appendingPathComponent("v\(version)") }
    func log(_ version: Int, _ type: String) -> URL { logs.appendingPathComponent("v\(version)-\(type).log") }
}
