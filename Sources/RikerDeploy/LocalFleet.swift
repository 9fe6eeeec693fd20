import Foundation
import RikerCore
import RikerRelease

/// The embedded default target as a fleet: one instance, `local-1`, whose riker-agent
/// `riker serve` runs on this machine, with no target groups (the agent swaps releases behind
/// its own listener, so the app never stops answering). Rolled by the same `RollingDeploy` as
/// an Auto Scaling Group, so rollback, timeouts, events and the record are the same.
public struct LocalFleet: Fleet {
    public static let instanceID = "local-1"
    /// How often a local deploy reads the agent's status (a file; cheap to read often).
    public static let statusPollInterval: Duration = .milliseconds(25)
    /// Seconds between the local agent's reads of what to run (`--poll-interval`): a file read,
    /// so often enough that a deploy's order is picked up at once.
    public static let agentPollInterval = 0.05
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public let app: String
    public let env: String
    /// The port the app env serves on: `local.port`, or one chosen on the first deploy.
    public let port: Int

    /// The fleet of an app env on this machine. Throws `.deployFailed` when `riker serve` is not
    /// running (nothing would start the agent); chooses and records the port on first use.
    public static func prepare(paths: RikerPaths, store: any ReleaseStore, app: String, env: String, settings: DeploySettings) async throws -> LocalFleet {
        guard LocalServer.isRunning(paths) else {
            throw RikerError(.deployFailed, "riker serve is not running on this machine: start it (script/run), then push again")
        }
        let port: Int
        if let p = settings.localPort { port = p } else { port = try await LocalPorts(paths: paths, store: store).assign(app: app, env: env) }
        return LocalFleet(paths: paths, store: store, app: app, env: env, port: port)
    }

    public var name: String { "local" }
    public var targetGroups: [String] { [] }

    public func instances() async throws -> [FleetInstance] { [FleetInstance(id: Self.instanceID, lifecycleState: "InService")] }

    public func deregister(_ ids: [String], from targetGroup: String) async throws {}
    public func register(_ ids: [String], in targetGroup: String) async throws {}
    public func targetHealth(_ ids: [String], in targetGroup: String) async throws -> [String: String] { [:] }
    public func drainSeconds(targetGroup: String) async throws -> Double? { nil }

    /// A first deploy needs `riker serve` to start the app env's agent: ask it to look now.
    public func desiredWritten(_ ids: [String]) async { LocalServer.poke(paths) }

    public func address(_ statuses: [InstanceStatus]) -> String {
        statuses.first?.address ?? "http://127.0.0.1:\(port)"
    }
}
