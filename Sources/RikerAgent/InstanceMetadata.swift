import Foundation
import RikerCore
import RikerHTTP

/// The EC2 instance metadata service, IMDSv2 only: a session token from
/// `PUT /latest/api/token`, then `GET /latest/meta-data/…` with that token.
///
/// The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` (as in the AWS SDKs), else
/// http://169.254.169.254; tests point it at a server on 127.0.0.1.
/// `AWS_EC2_METADATA_DISABLED=true` turns it off.
public struct InstanceMetadata: Sendable {
    public static let defaultEndpoint = "http://169.254.169.254"

    /// Base URL without a trailing slash.
    public let endpoint: String
    let disabled: Bool
    /// Attempts per request; a connection failure or a 5xx answer is tried again after `retryDelay`.
    var attempts = 3
    var retryDelay = 0.3

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
    public func instanceID() throws -> String {
        do {
            guard !disabled else { throw Failure("AWS_EC2_METADATA_DISABLED is true") }
            let id = try metadata("instance-id")
            guard id.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"#, options: .regularExpression) != nil else {
                throw Failure("it answered '\(id.prefix(64))', which is not an instance id")
            }
            return id
        } catch {
            let why = (error as? Failure)?.why ?? error.userMessage
            throw RikerError(.notFound, "cannot read the instance id from IMDSv2 at \(endpoint) (\(why)): pass --instance-id")
        }
    }

    private struct Failure: Error {
        let why: String
        init(_ why: String) { self.why = why }
    }

    /// GET /latest/meta-data/PATH with a fresh session token; the body, trimmed.
    func metadata(_ path: String) throws -> String {
        let conn = try HTTPConnection()
        let token = try request(conn, HTTPRequest(method: "PUT", url: endpoint + "/latest/api/token",
                                                  headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"],
                                                  timeout: 2, connectTimeout: 1), what: "the session token")
        guard !token.isEmpty else { throw Failure("the session token is empty") }
        return try request(conn, HTTPRequest(url: endpoint + "/latest/meta-data/" + path,
                                             headers: ["X-aws-ec2-metadata-token": token],
                                             timeout: 2, connectTimeout: 1), what: path)
    }

    private func request(_ conn: HTTPConnection, _ request: HTTPRequest, what: String) throws -> String {
        var attempt = 1
        while true {
            let retryable: Failure
            do {
                let r = try conn.perform(request)
                if r.isSuccess { return String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                let failure = Failure("\(what): HTTP \(r.status)")
                guard r.status >= 500 else { throw failure }
                retryable = failure
            } catch let e as RikerError where e.code == .http {
                retryable = Failure(e.message)
            }
            guard attempt < attempts else { throw retryable }
            attempt += 1
            usleep(useconds_t(retryDelay * 1_000_000))
        }
    }
}
