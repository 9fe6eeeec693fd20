import Foundation
import RikerCore

/// An AWS API spoken with the query protocol (form-encoded `Action=…&Version=…` POSTs,
/// XML answers): what to call it, how to sign for it, and where it lives.
public struct AWSQueryService: Sendable, Equatable {
    /// The name people know it by, used in error messages ("Auto Scaling").
    public var displayName: String
    /// The SigV4 service name and the endpoint's host prefix (`autoscaling`).
    public var signingName: String
    /// The API version sent with every action (`2011-01-01`).
    public var version: String
    /// The suffix of its endpoint variable, `AWS_ENDPOINT_URL_<KEY>` (`AUTO_SCALING`), as the AWS SDKs spell it.
    public var environmentKey: String

    public init(displayName: String, signingName: String, version: String, environmentKey: String) {
        self.displayName = displayName; self.signingName = signingName
        self.version = version; self.environmentKey = environmentKey
    }

    public static let autoScaling = AWSQueryService(displayName: "Auto Scaling", signingName: "autoscaling",
                                                    version: "2011-01-01", environmentKey: "AUTO_SCALING")
    public static let ec2 = AWSQueryService(displayName: "EC2", signingName: "ec2", version: "2016-11-15", environmentKey: "EC2")
    public static let elbv2 = AWSQueryService(displayName: "ELBv2", signingName: "elasticloadbalancing",
                                              version: "2015-12-01", environmentKey: "ELASTIC_LOAD_BALANCING_V2")
    /// Amazon SQS, spoken with the query protocol (SQS accepts it beside its JSON protocol).
    public static let sqs = AWSQueryService(displayName: "SQS", signingName: "sqs", version: "2012-11-05", environmentKey: "SQS")

    /// AWS's public endpoint in `region`: `https://autoscaling.us-east-1.amazonaws.com`
    /// (`.amazonaws.com.cn` in the China regions).
    public func defaultEndpoint(region: String) -> String {
        "https://\(signingName).\(region).amazonaws.com\(region.hasPrefix("cn-") ? ".cn" : "")"
    }

    /// The endpoint to use: `AWS_ENDPOINT_URL_<KEY>`, then `AWS_ENDPOINT_URL`, then AWS's.
    /// Throws `.invalidInput` for an override that is not an http(s) URL.
    public func endpoint(region: String, _ env: [String: String]) throws -> String {
        guard var e = AWSEnvironment.endpoint(service: environmentKey, env) else { return defaultEndpoint(region: region) }
        guard e.hasPrefix("http://") || e.hasPrefix("https://") else {
            throw RikerError(.invalidInput, "\(displayName) endpoint '\(e)' (AWS_ENDPOINT_URL_\(environmentKey) or AWS_ENDPOINT_URL) must start with http:// or https://")
        }
        while e.hasSuffix("/") { e.removeLast() }
        return e
    }
}

extension RikerError.Code {
    /// An AWS API refused a request for a reason other than permissions, a missing resource
    /// or bad input (its code and message are in the error's message).
    public static let aws = RikerError.Code(rawValue: "aws")
}
