import Foundation
import RikerCore
import RikerRelease

// CONTRACT (filled in by the RikerAgent work): signatures other modules rely on.

public struct AgentOptions: Sendable {
    public var storeURL: String
    public var app: String
    public var env: String
    public var instanceID: String
    /// The agent's own directory: releases/, cache/, logs, pid and lock files.
    public var dir: URL
    /// The public port the agent serves the app's web process on (a TCP proxy to the current release).
    public var port: Int
    public var host: String
    /// How often `desired` is polled.
    public var pollInterval: Double

    public init(storeURL: String, app: String, env: String, instanceID: String, dir: URL, port: Int, host: String = "127.0.0.1", pollInterval: Double = 0.2) {
        self.storeURL = storeURL; self.app = app; self.env = env; self.instanceID = instanceID
        self.dir = dir; self.port = port; self.host = host; self.pollInterval = pollInterval
    }
}

/// riker-agent: makes one instance run what the store says it should.
public final class Agent {
    public init(options: AgentOptions, store: any ReleaseStore) {}

    /// Runs until SIGTERM/SIGINT, then stops the app's processes gracefully.
    public func run() async throws { throw RikerError(.process, "not implemented") }
}
