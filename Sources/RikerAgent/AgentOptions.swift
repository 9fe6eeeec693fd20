import Foundation
import RikerCore

/// How one agent runs: which store and app env it serves, where it keeps its files, where it listens.
public struct AgentOptions: Sendable {
    public var storeURL: String
    public var app: String
    public var env: String
    public var instanceID: String
    /// The agent's own directory: releases/, cache/, logs, pid and lock files.
    public var dir: URL
    /// The public port the agent serves the app's web process on (a TCP proxy to the current release).
    /// 0 lets the kernel choose (see `Agent.port`).
    public var port: Int
    public var host: String
    /// How often `desired` is polled.
    public var pollInterval: Double
    /// Seconds an old or stopping process gets between SIGTERM and SIGKILL.
    public var grace: Double = 10
    /// Release dirs kept on disk (the running one is always kept too).
    public var keepReleases: Int = 5
    /// The container engine's storage for image releases (nil: `DIR/containers`). The local
    /// target shares the server's, so an image built there needs no transfer.
    public var containerStorage: URL?
    /// The unprivileged user the app's processes run as when the agent runs as root (the local
    /// target: one per app, see `AppUsers`); nil: the agent's own user.
    public var appUser: AppUser?
    /// Run exactly this release and nothing else (`riker-agent deploy`): the store is not polled,
    /// a failed install ends `run()` with the error (and is not remembered in `failures.json`:
    /// running the same release again tries again). Status is still written, under `instanceID`.
    public var pinnedRelease: Int?

    public init(storeURL: String, app: String, env: String, instanceID: String, dir: URL, port: Int, host: String = "127.0.0.1", pollInterval: Double = 0.2) {
        self.storeURL = storeURL; self.app = app; self.env = env; self.instanceID = instanceID
        self.dir = dir; self.port = port; self.host = host; self.pollInterval = pollInterval
    }
}
