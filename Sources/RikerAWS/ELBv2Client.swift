import Foundation
import RikerCore

/// A target of an ELBv2 target group: an instance id, and a port when it is not the
/// target group's default.
public struct ELBTarget: Sendable, Hashable {
    public var id: String
    public var port: Int?

    public init(id: String, port: Int? = nil) { self.id = id; self.port = port }
}

/// A target's health in a target group, as DescribeTargetHealth reports it.
public struct TargetHealth: Sendable, Equatable {
    public var id: String
    public var port: Int?
    /// `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable`.
    public var state: String
    /// AWS's reason code (`Elb.RegistrationInProgress`, `Target.FailedHealthChecks`, …), if any.
    public var reason: String?
    public var description: String?

    public init(id: String, port: Int?, state: String, reason: String? = nil, description: String? = nil) {
        self.id = id; self.port = port; self.state = state; self.reason = reason; self.description = description
    }

    public var isHealthy: Bool { state == "healthy" }
}

/// What the rolling deploy needs from ELBv2 (a seam for in-memory stand-ins).
public protocol ELBv2API: Sendable {
    func registerTargets(targetGroup: String, targets: [ELBTarget]) async throws
    func deregisterTargets(targetGroup: String, targets: [ELBTarget]) async throws
    func describeTargetHealth(targetGroup: String, targets: [ELBTarget]) async throws -> [TargetHealth]
    func describeTargetGroupAttributes(targetGroup: String) async throws -> [String: String]
}

/// The Elastic Load Balancing v2 API (query protocol, version 2015-12-01). Errors as
/// `AWSQueryClient`'s; an unknown target group ARN is `.notFound` (TargetGroupNotFound).
public struct ELBv2Client: ELBv2API {
    public let client: AWSQueryClient

    public init(client: AWSQueryClient) {
        precondition(client.service == .elbv2, "ELBv2Client needs an ELBv2 AWSQueryClient")
        self.client = client
    }

    /// From the environment: region, `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2` /
    /// `AWS_ENDPOINT_URL`, credential chain. Throws `.invalidInput` for a malformed endpoint.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> ELBv2Client {
        ELBv2Client(client: try .fromEnvironment(service: .elbv2, env))
    }

    /// Registers `targets` with the target group (ARN). Registering a registered target
    /// again is harmless. Does nothing for an empty list. Throws as `AWSQueryClient.perform`
    /// (`.invalidInput` for an instance the group cannot take, e.g. not running).
    public func registerTargets(targetGroup: String, targets: [ELBTarget]) async throws {
        guard !targets.isEmpty else { return }
        _ = try await client.perform("RegisterTargets", Self.parameters(targetGroup, targets), context: Self.context(targetGroup, targets))
    }

    /// Deregisters `targets` from the target group. They drain for the group's
    /// `deregistration_delay.timeout_seconds` before AWS stops sending them requests; this
    /// call does not wait. Does nothing for an empty list. Throws as `AWSQueryClient.perform`.
    public func deregisterTargets(targetGroup: String, targets: [ELBTarget]) async throws {
        guard !targets.isEmpty else { return }
        _ = try await client.perform("DeregisterTargets", Self.parameters(targetGroup, targets), context: Self.context(targetGroup, targets))
    }

    /// The health of `targets` in the target group (every registered target when empty).
    /// Throws as `AWSQueryClient.perform`.
    public func describeTargetHealth(targetGroup: String, targets: [ELBTarget] = []) async throws -> [TargetHealth] {
        let answer = try await client.perform("DescribeTargetHealth", Self.parameters(targetGroup, targets), context: Self.context(targetGroup, targets))
        return answer.list("DescribeTargetHealthResult", "TargetHealthDescriptions").compactMap { d in
            func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
            guard let id = nonEmpty(d.text("Target", "Id")) else { return nil }
            return TargetHealth(id: id, port: Int(d.text("Target", "Port") ?? ""), state: d.text("TargetHealth", "State") ?? "",
                                reason: nonEmpty(d.text("TargetHealth", "Reason")), description: nonEmpty(d.text("TargetHealth", "Description")))
        }
    }

    /// The target group's attributes (`deregistration_delay.timeout_seconds`,
    /// `stickiness.enabled`, …) as key → value. Throws as `AWSQueryClient.perform`.
    public func describeTargetGroupAttributes(targetGroup: String) async throws -> [String: String] {
        var p = AWSQueryParameters()
        p.set("TargetGroupArn", targetGroup)
        let answer = try await client.perform("DescribeTargetGroupAttributes", p, context: "target group \(targetGroup)")
        var out: [String: String] = [:]
        for a in answer.list("DescribeTargetGroupAttributesResult", "Attributes") {
            if let k = a.text("Key"), !k.isEmpty { out[k] = a.text("Value") ?? "" }
        }
        return out
    }

    static func parameters(_ targetGroup: String, _ targets: [ELBTarget]) -> AWSQueryParameters {
        var p = AWSQueryParameters()
        p.set("TargetGroupArn", targetGroup)
        for (i, t) in targets.enumerated() {
            p.set("Targets.member.\(i + 1).Id", t.id)
            p.set("Targets.member.\(i + 1).Port", t.port.map(String.init))
        }
        return p
    }

    static func context(_ targetGroup: String, _ targets: [ELBTarget]) -> String {
        let ids = targets.prefix(5).map(\.id).joined(separator: ", ") + (targets.count > 5 ? ", …" : "")
        return "target group \(targetGroup)" + (targets.isEmpty ? "" : ", targets \(ids)")
    }
}
