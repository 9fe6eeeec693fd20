import Foundation

/// An instance of an app env's group, as the cloud sees it.
public struct FleetInstance: Sendable, Equatable {
    public var id: String
    /// `InService`, `Pending`, `Terminating`, …
    public var lifecycleState: String
    public var inService: Bool { lifecycleState == "InService" }
    public init(id: String, lifecycleState: String) { self.id = id; self.lifecycleState = lifecycleState }
}

/// What a rolling deploy needs from the cloud: the group's instances and the load balancer's
/// target groups. The real one speaks the Auto Scaling and ELBv2 APIs; tests run it against moto.
public protocol Fleet: Sendable {
    func instances(group: String) async throws -> [FleetInstance]
    func deregister(_ ids: [String], from targetGroup: String) async throws
    func register(_ ids: [String], in targetGroup: String) async throws
    /// Target health state (`healthy`, `initial`, `draining`, `unused`, …) by instance id.
    func targetHealth(_ ids: [String], in targetGroup: String) async throws -> [String: String]
    /// The target group's `deregistration_delay.timeout_seconds`, if it has one.
    func drainSeconds(targetGroup: String) async throws -> Double?
}
