import Foundation
import RikerCore

/// An Auto Scaling group as DescribeAutoScalingGroups reports it.
public struct AutoScalingGroup: Sendable, Equatable {
    /// One instance in the group.
    public struct Instance: Sendable, Equatable {
        public var id: String
        /// `Pending`, `InService`, `Terminating`, `Standby`, `Detaching`, … (AWS's words).
        public var lifecycleState: String
        /// `Healthy` or `Unhealthy`.
        public var healthStatus: String
        public var availabilityZone: String

        public init(id: String, lifecycleState: String, healthStatus: String, availabilityZone: String) {
            self.id = id; self.lifecycleState = lifecycleState; self.healthStatus = healthStatus; self.availabilityZone = availabilityZone
        }

        /// In service and healthy: eligible to take traffic and a deploy batch.
        public var isInService: Bool { lifecycleState == "InService" }
    }

    public var name: String
    public var minSize: Int
    public var maxSize: Int
    public var desiredCapacity: Int
    public var instances: [Instance]
    /// ELBv2 target groups the group registers its instances with.
    public var targetGroupARNs: [String]
    /// The launch template (directly, or of a mixed instances policy), if it uses one.
    public var launchTemplateName: String?
    public var launchTemplateId: String?

    public init(name: String, minSize: Int, maxSize: Int, desiredCapacity: Int, instances: [Instance],
                targetGroupARNs: [String] = [], launchTemplateName: String? = nil, launchTemplateId: String? = nil) {
        self.name = name; self.minSize = minSize; self.maxSize = maxSize; self.desiredCapacity = desiredCapacity
        self.instances = instances; self.targetGroupARNs = targetGroupARNs
        self.launchTemplateName = launchTemplateName; self.launchTemplateId = launchTemplateId
    }

    /// The instances whose lifecycle state is `InService`, in the order AWS listed them.
    public var inServiceInstances: [Instance] { instances.filter(\.isInService) }
}

/// What the rolling deploy needs from Auto Scaling (a seam for in-memory stand-ins).
public protocol AutoScalingAPI: Sendable {
    func describeGroup(_ name: String) async throws -> AutoScalingGroup?
    func setDesiredCapacity(name: String, desired: Int) async throws
}

/// The Auto Scaling API (query protocol, version 2011-01-01). Errors as `AWSQueryClient`'s.
public struct AutoScalingClient: AutoScalingAPI {
    public let client: AWSQueryClient
    /// Groups asked for per DescribeAutoScalingGroups page (AWS allows 1…100).
    public var pageSize: Int

    public init(client: AWSQueryClient, pageSize: Int = 100) {
        precondition(client.service == .autoScaling, "AutoScalingClient needs an Auto Scaling AWSQueryClient")
        self.client = client; self.pageSize = pageSize
    }

    /// From the environment: region, `AWS_ENDPOINT_URL_AUTO_SCALING` / `AWS_ENDPOINT_URL`,
    /// credential chain. Throws `.invalidInput` for a malformed endpoint.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AutoScalingClient {
        AutoScalingClient(client: try .fromEnvironment(service: .autoScaling, env))
    }

    /// The group called `name`, or nil if there is none. Throws as `AWSQueryClient.perform`.
    public func describeGroup(_ name: String) async throws -> AutoScalingGroup? {
        try await describeGroups(names: [name]).first { $0.name == name }
    }

    /// The groups called `names` (all the account's groups in the region when empty), every
    /// page of them; names with no group are left out. Throws as `AWSQueryClient.perform`.
    public func describeGroups(names: [String]) async throws -> [AutoScalingGroup] {
        var p = AWSQueryParameters()
        p.list("AutoScalingGroupNames.member", names)
        p.set("MaxRecords", String(pageSize))
        let context = names.isEmpty ? nil : (names.count == 1 ? "group \(names[0])" : "groups \(names.joined(separator: ", "))")
        return try await client.collectPages("DescribeAutoScalingGroups", p, context: context,
                                             nextToken: { $0.text("DescribeAutoScalingGroupsResult", "NextToken") },
                                             items: { try $0.list("DescribeAutoScalingGroupsResult", "AutoScalingGroups").map(Self.group) })
    }

    /// Sets the group's desired capacity (within its min and max), without honouring the
    /// cooldown. Throws `.invalidInput` (ValidationError) for a value outside min…max and
    /// `.aws`/`.notFound` if the group does not exist, as AWS reports it.
    public func setDesiredCapacity(name: String, desired: Int) async throws {
        var p = AWSQueryParameters()
        p.set("AutoScalingGroupName", name)
        p.set("DesiredCapacity", String(desired))
        p.set("HonorCooldown", "false")
        _ = try await client.perform("SetDesiredCapacity", p, context: "group \(name), desired \(desired)")
    }

    static func group(_ e: AWSXMLElement) throws -> AutoScalingGroup {
        guard let name = e.text("AutoScalingGroupName"), !name.isEmpty else {
            throw RikerError(.aws, "Auto Scaling DescribeAutoScalingGroups: a group without AutoScalingGroupName in the answer")
        }
        let template = e["LaunchTemplate"] ?? e["MixedInstancesPolicy", "LaunchTemplate", "LaunchTemplateSpecification"]
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        return AutoScalingGroup(
            name: name,
            minSize: Int(e.text("MinSize") ?? "") ?? 0,
            maxSize: Int(e.text("MaxSize") ?? "") ?? 0,
            desiredCapacity: Int(e.text("DesiredCapacity") ?? "") ?? 0,
            instances: e.list("Instances").compactMap { i in
                guard let id = nonEmpty(i.text("InstanceId")) else { return nil }
                return .init(id: id, lifecycleState: i.text("LifecycleState") ?? "", healthStatus: i.text("HealthStatus") ?? "",
                             availabilityZone: i.text("AvailabilityZone") ?? "")
            },
            targetGroupARNs: e.list("TargetGroupARNs").map(\.text).filter { !$0.isEmpty },
            launchTemplateName: nonEmpty(template?.text("LaunchTemplateName")),
            launchTemplateId: nonEmpty(template?.text("LaunchTemplateId")))
    }
}
