import Foundation
import RikerAWS

/// The real `Fleet`: the Auto Scaling API for the group's instances, ELBv2 for target groups.
public struct AWSFleet: Fleet {
    public let autoScaling: any AutoScalingAPI
    public let elb: any ELBv2API

    public init(autoScaling: any AutoScalingAPI, elb: any ELBv2API) { self.autoScaling = autoScaling; self.elb = elb }

    /// Clients configured from the environment (region, endpoints, credential chain).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSFleet {
        AWSFleet(autoScaling: try AutoScalingClient.fromEnvironment(env), elb: try ELBv2Client.fromEnvironment(env))
    }

    public func instances(group: String) async throws -> [FleetInstance] {
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
}

import RikerCore
