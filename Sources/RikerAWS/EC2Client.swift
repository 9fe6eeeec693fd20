import Foundation
import RikerCore

/// An EC2 instance as DescribeInstances reports it.
public struct EC2Instance: Sendable, Equatable {
    public var id: String
    /// `pending`, `running`, `shutting-down`, `terminated`, `stopping`, `stopped`.
    public var state: String
    public var privateIP: String?
    /// Only for instances with a public address.
    public var publicIP: String?
    public var availabilityZone: String?

    public init(id: String, state: String, privateIP: String? = nil, publicIP: String? = nil, availabilityZone: String? = nil) {
        self.id = id; self.state = state; self.privateIP = privateIP; self.publicIP = publicIP; self.availabilityZone = availabilityZone
    }
}

/// What the rolling deploy needs from EC2 (a seam for in-memory stand-ins).
public protocol EC2API: Sendable {
    func describeInstances(ids: [String]) async throws -> [EC2Instance]
}

/// The EC2 API (query protocol, version 2016-11-15). Errors as `AWSQueryClient`'s.
public struct EC2Client: EC2API {
    public let client: AWSQueryClient
    /// Instances asked for per DescribeInstances page (AWS allows 5…1000).
    public var pageSize: Int

    public init(client: AWSQueryClient, pageSize: Int = 1000) {
        precondition(client.service == .ec2, "EC2Client needs an EC2 AWSQueryClient")
        self.client = client; self.pageSize = min(1000, max(5, pageSize))
    }

    /// From the environment: region, `AWS_ENDPOINT_URL_EC2` / `AWS_ENDPOINT_URL`, credential
    /// chain. Throws `.invalidInput` for a malformed endpoint.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> EC2Client {
        EC2Client(client: try .fromEnvironment(service: .ec2, env))
    }

    /// The instances with these ids, every page of them, in the order AWS lists them. An id
    /// that does not exist (any more) is simply absent: the ids are sent as an `instance-id`
    /// filter, not as `InstanceId.N`, which fails the whole call for one unknown id and cannot
    /// be paged. An empty `ids` returns []. Throws as `AWSQueryClient.perform`.
    public func describeInstances(ids: [String]) async throws -> [EC2Instance] {
        var out: [EC2Instance] = []
        // AWS caps the values of one filter at 200.
        for start in stride(from: 0, to: ids.count, by: 200) {
            let chunk = Array(ids[start..<min(ids.count, start + 200)])
            var p = AWSQueryParameters()
            p.set("Filter.1.Name", "instance-id")
            p.list("Filter.1.Value", chunk)
            p.set("MaxResults", String(pageSize))
            let context = chunk.count == 1 ? "instance \(chunk[0])" : "\(chunk.count) instances"
            out += try await client.collectPages("DescribeInstances", p, context: context,
                                                 nextToken: { $0.text("nextToken") },
                                                 items: { $0.list("reservationSet").flatMap { $0.list("instancesSet") }.compactMap(Self.instance) })
        }
        return out
    }

    static func instance(_ e: AWSXMLElement) -> EC2Instance? {
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        guard let id = nonEmpty(e.text("instanceId")) else { return nil }
        return EC2Instance(id: id, state: e.text("instanceState", "name") ?? "", privateIP: nonEmpty(e.text("privateIpAddress")),
                           publicIP: nonEmpty(e.text("ipAddress")), availabilityZone: nonEmpty(e.text("placement", "availabilityZone")))
    }
}
