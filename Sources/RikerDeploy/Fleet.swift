import Foundation
import RikerRelease

/// An instance of an app env's group, as the cloud sees it.
public struct FleetInstance: Sendable, Equatable {
    public var id: String
    /// `InService`, `Pending`, `Terminating`, …
    public var lifecycleState: String
    public var inService: Bool { lifecycleState == "InService" }
    public init(id: String, lifecycleState: String) { self.id = id; self.lifecycleState = lifecycleState }
}

/// The instances a rolling deploy rolls a release across, and the load balancer's target
/// groups in front of them. `AWSFleet` is an Auto Scaling Group (tested against moto);
/// `LocalFleet` is the one agent `riker serve` runs on this machine, without target groups.
public protocol Fleet: Sendable {
    /// For messages: `local`, `Auto Scaling group web-asg`.
    var name: String { get }
    /// ELBv2 target groups instances are drained from and registered in (none: instances keep
    /// serving while their agent installs, behind its own listener).
    var targetGroups: [String] { get }
    /// The group's instances now. Throws when the group cannot be reached or used.
    func instances() async throws -> [FleetInstance]
    func deregister(_ ids: [String], from targetGroup: String) async throws
    func register(_ ids: [String], in targetGroup: String) async throws
    /// Target health state (`healthy`, `initial`, `draining`, `unused`, …) by instance id.
    func targetHealth(_ ids: [String], in targetGroup: String) async throws -> [String: String]
    /// The target group's `deregistration_delay.timeout_seconds`, if it has one.
    func drainSeconds(targetGroup: String) async throws -> Double?
    /// `desired` was written for these instances: wake whatever runs their agents.
    func desiredWritten(_ ids: [String]) async
    /// Where the app answers once every instance runs the release.
    func address(_ statuses: [InstanceStatus]) -> String
}

extension Fleet {
    public func desiredWritten(_ ids: [String]) async {}
}
