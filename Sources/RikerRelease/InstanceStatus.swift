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
    public var error: String?
    /// The deploy id from `desired` this status answers.
    public var deploy: String?
    public var updatedAt: Date
    public var pid: Int32?

    enum CodingKeys: String, CodingKey {
        case instance, release, target, state, healthy, address, error, deploy, pid
        case updatedAt = "updated_at"
    }

    public init(instance: String, release: Int?, target: Int?, state: State, healthy: Bool, address: String?,
                error: String? = nil, deploy: String? = nil, updatedAt: Date = Date(), pid: Int32? = nil) {
        self.instance = instance; self.release = release; self.target = target; self.state = state
        self.healthy = healthy; self.address = address; self.error = error; self.deploy = deploy
        self.updatedAt = updatedAt; self.pid = pid
    }
}
