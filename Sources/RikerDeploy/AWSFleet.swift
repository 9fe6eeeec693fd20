import Foundation
import RikerAWS
import RikerCore
import RikerRelease

/// The `asg` target's fleet: the Auto Scaling API for the group's instances, ELBv2 for target groups.
public struct AWSFleet: Fleet {
    public let group: String
    public let targetGroups: [String]
    public let autoScaling: any AutoScalingAPI
    public let elb: any ELBv2API

    public init(group: String, targetGroups: [String], autoScaling: any AutoScalingAPI, elb: any ELBv2API) {
        self.group = group; self.targetGroups = targetGroups; self.autoScaling = autoScaling; self.elb = elb
    }

    /// The fleet of an app env with target=asg: clients configured from the environment (region,
    /// endpoints, credential chain). Throws when `asg.name` is not set.
    public static func fromEnvironment(app: String, settings: DeploySettings, _ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSFleet {
        guard let group = settings.asgName else {
            throw RikerError(.invalidInput, "target=asg needs the group's name: apps:set \(app) asg.name=GROUP")
        }
        return AWSFleet(group: group, targetGroups: settings.targetGroups,
                        autoScaling: try AutoScalingClient.fromEnvironment(env), elb: try ELBv2Client.fromEnvironment(env))
    }

    public var name: String { "Auto Scaling group \(group)" }

    public func instances() async throws -> [FleetInstance] {
        guard let g = try await autoScaling.describeGroup(group) else {
            throw RikerError(.notFound, "Auto Scaling group \(group) does not exist: check asg.name")
        }
        return g.instances.map { FleetInstance(id: $0.id, lifecycleState: $0.lifecycleState) }
    }

    public func deregister(_ ids: [String], from targetGroup: String) async throws {
        try await elb.deregisterTargets(targetGroup: targetGroup, targets: ids.map { ELBTarget(id: $0) })
    }

    public func register(_ ids: [String], in targetGroup: String) async throws {
        try await elb.registerTargets(targetGroup: targetGroup, targets: ids.map { ELBTarget(id: $0) })
    }

    public func targetHealth(_ ids: [String], in targetGroup: String) async throws -> [String: String] {
        let all = try await elb.describeTargetHealth(targetGroup: targetGroup, targets: ids.map { ELBTarget(id: $0) })
        return Dictionary(all.map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
    }

    public func drainSeconds(targetGroup: String) async throws -> Double? {
        try await elb.describeTargetGroupAttributes(targetGroup: targetGroup)["deregistration_delay.timeout_seconds"].flatMap(Double.init)
    }

    public func address(_ statuses: [InstanceStatus]) -> String {
        "\(statuses.count) instance\(statuses.count == 1 ? "" : "s") of Auto Scaling group \(group)"
    }
}
