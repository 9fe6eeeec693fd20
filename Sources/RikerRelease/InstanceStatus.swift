import Foundation

/// `instances/ID/desired`: what an agent should run.
public struct DesiredRelease: Codable, Sendable, Equatable {
    public var release: Int
    /// The deploy that asked for it (empty when an agent falls back to `current`).
    public var deploy: String
    public init(release: Int, deploy: String) { self.release = release; self.deploy = deploy }
}

/// `instances/ID/status`: what an agent reports about itself.
public struct InstanceStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Downloading, unpacking or waiting for the health check of `target`.
        case installing
        /// `release` runs and (if it has a web process) passed its health check.
        case running
        /// Installing `target` failed; `release` (the previous one, if any) still runs.
        case failed
        /// The agent stopped its processes (shutdown).
        case stopped
    }

    public var instance: String
    /// The release serving now (nil before the first install).
    public var release: Int?
    /// The release being installed or that last failed.
    public var target: Int?
    public var state: State
    public var healthy: Bool
    /// `http://HOST:PORT` where the instance serves.
    public var address: String?
    /// Why the last install failed: a summary line, then the output that explains it
    /// (`FailureReport.text`, bounded).
    public var error: String?
    /// The deploy id from `desired` this status answers.
    public var deploy: String?
    public var updatedAt: Date
    public var pid: Int32?
    /// The processes of `release`, one per running copy (`worker.2`); nil from agents that
    /// predate formations.
    public var processes: [ProcessStatus]?

    enum CodingKeys: String, CodingKey {
        case instance, release, target, state, healthy, address, error, deploy, pid, processes
        case updatedAt = "updated_at"
    }

    public init(instance: String, release: Int?, target: Int?, state: State, healthy: Bool, address: String?,
                error: String? = nil, deploy: String? = nil, updatedAt: Date = Date(), pid: Int32? = nil,
                processes: [ProcessStatus]? = nil) {
        self.instance = instance; self.release = release; self.target = target; self.state = state
        self.healthy = healthy; self.address = address; self.error = error; self.deploy = deploy
        self.updatedAt = updatedAt; self.pid = pid; self.processes = processes
    }
}

/// One process of the running release on an instance, as its agent reports it.
public struct ProcessStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Running.
        case up
        /// Exited; restarted when its backoff has passed.
        case crashed
        /// Stopped for good (the release is being retired or the agent stops).
        case stopped
    }

    /// `TYPE.N`, also its `DYNO`.
    public var name: String
    public var type: String
    public var state: State
    public var pid: Int32?
    /// Times it was restarted after exiting.
    public var restarts: Int
    /// How it last exited (`exit code 1`, `killed by signal 9`), if it has.
    public var lastExit: String?

    enum CodingKeys: String, CodingKey {
        case name, type, state, pid, restarts
        case lastExit = "last_exit"
    }

    public init(name: String, type: String, state: State, pid: Int32?, restarts: Int, lastExit: String?) {
        self.name = name; self.type = type; self.state = state; self.pid = pid; self.restarts = restarts; self.lastExit = lastExit
    }
}
