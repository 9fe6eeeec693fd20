import Foundation
import RikerCore
import RikerHTTP

/// The EC2 instance role's temporary credentials over IMDSv2: a session token from
/// `PUT /latest/api/token`, then `GET /latest/meta-data/iam/security-credentials/[ROLE]`.
///
/// The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` (default http://169.254.169.254).
struct IMDSCredentials {
    let endpoint: String

    init(environment env: [String: String]) {
        var e = env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while e.hasSuffix("/") { e.removeLast() }
        endpoint = e
    }

    func fetch() throws -> AWSCredentials {
        let conn = try HTTPConnection()
        let tokenResponse = try conn.perform(HTTPRequest(method: "PUT", url: endpoint + "/latest/api/token",
                                                         headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"],
                                                         timeout: 2, connectTimeout: 1))
        guard tokenResponse.isSuccess else { throw failure("token request answered HTTP \(tokenResponse.status)") }
        let token = String(decoding: tokenResponse.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let base = endpoint + "/latest/meta-data/iam/security-credentials/"
        let roles = try conn.perform(HTTPRequest(url: base, headers: ["X-aws-ec2-metadata-token": token], timeout: 2, connectTimeout: 1))
        guard roles.isSuccess, let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first else {
            throw failure("the instance has no IAM role (HTTP \(roles.status))")
        }
        let r = try conn.perform(HTTPRequest(url: base + role, headers: ["X-aws-ec2-metadata-token": token], timeout: 2, connectTimeout: 1))
        guard r.isSuccess else { throw failure("credentials of role \(role) answered HTTP \(r.status)") }
        struct Doc: Decodable {
            var AccessKeyId: String; var SecretAccessKey: String; var Token: String?; var Expiration: String?
        }
        guard let doc = try? JSONDecoder().decode(Doc.self, from: r.body) else { throw failure("unreadable credentials of role \(role)") }
        let expiry = doc.Expiration.flatMap { ISO8601DateFormatter().date(from: $0) }
        return AWSCredentials(accessKeyId: doc.AccessKeyId, secretAccessKey: doc.SecretAccessKey, sessionToken: doc.Token, expiration: expiry)
    }

    private func failure(_ why: String) -> RikerError {
        RikerError(.permissionDenied, "no AWS credentials from the instance metadata service at \(endpoint): \(why)")
    }
}
