import Foundation
import RikerCore

/// The standard AWS credential chain, first that answers wins:
/// 1. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`;
/// 2. the profile `AWS_PROFILE` (else `default`) in `~/.aws/credentials` and `~/.aws/config`;
/// 3. the EC2 instance role over IMDSv2 (skipped when `AWS_EC2_METADATA_DISABLED=true`).
///
/// Temporary credentials are cached and fetched again 5 minutes before they expire.
public actor AWSCredentialChain: AWSCredentialProvider {
    private let environment: [String: String]
    private var cached: AWSCredentials?
    private let refreshMargin: Double

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, refreshMargin: Double = 300) {
        self.environment = environment
        self.refreshMargin = refreshMargin
    }

    public func credentials() async throws -> AWSCredentials {
        if let c = cached, c.expiration.map({ $0.timeIntervalSinceNow > refreshMargin }) ?? true { return c }
        let fresh = try await resolve()
        cached = fresh
        return fresh
    }

    private func resolve() async throws -> AWSCredentials {
        let env = environment
        if let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw RikerError(.permissionDenied, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            let token = env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
        }
        let shared = AWSSharedConfig(environment: env)
        if let c = shared.credentials { return c }
        if env["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            throw RikerError(.permissionDenied, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile '\(shared.profile)' in ~/.aws/credentials")
        }
        do { return try await InstanceMetadata(environment: env).roleCredentials() } catch let e as RikerError {
            throw RikerError(.permissionDenied, "no AWS credentials: not in the environment, not in profile '\(shared.profile)', and \(e.message)")
        }
    }
}

/// Where AWS region and endpoint settings come from.
public enum AWSEnvironment {
    /// `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region`, then us-east-1.
    public static func region(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for k in ["AWS_REGION", "AWS_DEFAULT_REGION"] { if let r = env[k], !r.isEmpty { return r } }
        return AWSSharedConfig(environment: env).region ?? "us-east-1"
    }

    /// A service's endpoint override: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`.
    public static func endpoint(service: String, _ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for k in ["AWS_ENDPOINT_URL_\(service.uppercased())", "AWS_ENDPOINT_URL"] { if let e = env[k], !e.isEmpty { return e } }
        return nil
    }
}
