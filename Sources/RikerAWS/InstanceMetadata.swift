import Foundation
import RikerCore
import RikerHTTP

/// The EC2 instance metadata service, IMDSv2 only: a session token from
/// `PUT /latest/api/token`, then `GET /latest/meta-data/…` with that token. The one IMDS
/// client: the agent reads its instance id with it, the credential chain the instance role.
///
/// The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` (as in the AWS SDKs), else
/// http://169.254.169.254; tests point it at a server on 127.0.0.1.
/// `AWS_EC2_METADATA_DISABLED=true` turns it off.
public struct InstanceMetadata: Sendable {
    public static let defaultEndpoint = "http://169.254.169.254"

    /// Base URL without a trailing slash.
    public let endpoint: String
    public let disabled: Bool
    /// Tries per request; a connection failure or a 5xx answer is tried again after `retryDelay`.
    public var attempts = 3
    public var retryDelay = 0.3

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        var e = env["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultEndpoint
        while e.hasSuffix("/") { e.removeLast() }
        endpoint = e
        disabled = env["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
    }

    /// This instance's id (`i-0123…`).
    ///
    /// Throws `.notFound` with "cannot read the instance id from IMDSv2 at ENDPOINT (why): pass
    /// --instance-id" when the service is off, unreachable (not on EC2, or a container behind a
    /// hop limit of 1), refuses the token, or answers something that is not an instance id.
    public func instanceID() async throws -> String {
        do {
            let id = try await metadata(["instance-id"]).first!
            guard id.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"#, options: .regularExpression) != nil else {
                throw Failure("it answered '\(id.prefix(64))', which is not an instance id")
            }
            return id
        } catch {
            throw RikerError(.notFound, "cannot read the instance id from IMDSv2 at \(endpoint) (\(Self.why(error))): pass --instance-id")
        }
    }

    /// The instance role's temporary credentials. Throws `.permissionDenied` saying why there are none.
    public func roleCredentials() async throws -> AWSCredentials {
        do {
            let base = "iam/security-credentials/"
            let roles = try await metadata([base]).first!
            guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
                throw Failure("the instance has no IAM role")
            }
            let text = try await metadata([base + role]).first!
            struct Doc: Decodable { var AccessKeyId: String; var SecretAccessKey: String; var Token: String?; var Expiration: String? }
            guard let doc = try? JSONDecoder().decode(Doc.self, from: Data(text.utf8)) else { throw Failure("unreadable credentials of role \(role)") }
            return AWSCredentials(accessKeyId: doc.AccessKeyId, secretAccessKey: doc.SecretAccessKey, sessionToken: doc.Token,
                                  expiration: doc.Expiration.flatMap { ISO8601DateFormatter().date(from: $0) })
        } catch {
            throw RikerError(.permissionDenied, "no AWS credentials from the instance metadata service at \(endpoint): \(Self.why(error))")
        }
    }

    /// GET /latest/meta-data/PATH for each of `paths` with one session token; the bodies, trimmed.
    /// Throws a `Failure` (or `.http`) saying what went wrong.
    func metadata(_ paths: [String]) async throws -> [String] {
        guard !disabled else { throw Failure("AWS_EC2_METADATA_DISABLED is true") }
        let pool = HTTPConnectionPool(maxIdle: 1)
        let token = try await request(pool, HTTPRequest(method: "PUT", url: endpoint + "/latest/api/token",
                                                        headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"],
                                                        timeout: 2, connectTimeout: 1), what: "the session token")
        guard !token.isEmpty else { throw Failure("the session token is empty") }
        var answers: [String] = []
        for path in paths {
            answers.append(try await request(pool, HTTPRequest(url: endpoint + "/latest/meta-data/" + path,
                                                               headers: ["X-aws-ec2-metadata-token": token],
                                                               timeout: 2, connectTimeout: 1), what: path))
        }
        return answers
    }

    private func request(_ pool: HTTPConnectionPool, _ request: HTTPRequest, what: String) async throws -> String {
        var attempt = 1
        while true {
            let retryable: Failure
            do {
                let r = try await pool.perform(request)
                if r.isSuccess { return String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                let failure = Failure("\(what): HTTP \(r.status)")
                guard r.status >= 500 else { throw failure }
                retryable = failure
            } catch let e as RikerError where e.code == .http {
                retryable = Failure(e.message)
            }
            guard attempt < attempts else { throw retryable }
            attempt += 1
            try await Task.sleep(nanoseconds: UInt64(retryDelay * 1e9))
        }
    }

    struct Failure: Error {
        let why: String
        init(_ why: String) { self.why = why }
    }

    private static func why(_ error: Error) -> String { (error as? Failure)?.why ?? error.userMessage }
}
