import Crypto
import Foundation
import RikerCore
import RikerHTTP

/// A client for one AWS query-protocol API (Auto Scaling, EC2, ELBv2): form-encoded POSTs
/// signed with SigV4, retried with backoff and full jitter on 5xx, throttling and connection
/// errors (nothing else), XML answers parsed into `AWSXMLElement` trees.
///
/// Errors carry the service, the action and AWS's own code and message:
/// 403 and signature/credential codes → `.permissionDenied`; `*NotFound` codes → `.notFound`;
/// validation codes → `.invalidInput`; any other refusal → `.aws`; a server that cannot be
/// reached after the last try → `.http`.
public final class AWSQueryClient: Sendable {
    public let service: AWSQueryService
    public let region: String
    /// `http(s)://host[:port]` the actions are POSTed to.
    public let endpoint: String
    public let retry: RetryPolicy
    /// Time limit for one try of a request, in seconds.
    public let requestTimeout: Double
    let sender: AWSRequestSender

    /// A client for `service` in `region`; `endpoint` nil means AWS's public endpoint.
    public init(service: AWSQueryService, region: String, endpoint: String? = nil, credentials: any AWSCredentialProvider,
                retry: RetryPolicy = RetryPolicy(), requestTimeout: Double = 30) {
        self.service = service
        self.region = region
        self.endpoint = endpoint.map { var e = $0; while e.hasSuffix("/") { e.removeLast() }; return e } ?? service.defaultEndpoint(region: region)
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.sender = AWSRequestSender(signer: SigV4Signer(region: region, service: service.signingName), credentials: credentials,
                                       retry: retry, maxIdleConnections: 4)
    }

    /// A client configured from the environment: region (`AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// the profile's), endpoint (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`) and the
    /// standard credential chain. Throws `.invalidInput` for a malformed endpoint override.
    public static func fromEnvironment(service: AWSQueryService, _ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSQueryClient {
        let region = AWSEnvironment.region(env)
        return AWSQueryClient(service: service, region: region, endpoint: try service.endpoint(region: region, env),
                              credentials: AWSCredentialChain(environment: env))
    }

    /// Calls `action` with `parameters` and returns the root element of AWS's answer
    /// (`<ActionResponse>`). `context` names the input for error messages ("group web-asg").
    /// Throws as described on the type.
    public func perform(_ action: String, _ parameters: AWSQueryParameters = AWSQueryParameters(), context: String? = nil) async throws -> AWSXMLElement {
        let what = "\(service.displayName) \(action)" + (context.map { " (\($0))" } ?? "")
        let body = Data(parameters.body(action: action, version: service.version).utf8)
        let payloadHash = SigV4Signer.hex(SHA256.hash(data: body))
        let request = AWSRequestSender.Request(
            method: "POST", url: endpoint + "/", headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: .data(body), payloadHash: payloadHash, timeout: requestTimeout, what: what)
        let (response, attempts) = try await sender.send(request) { AWSQueryError($0).isRetryable }
        if response.isSuccess {
            do { return try AWSXMLElement.parse(response.body) } catch {
                throw RikerError(.aws, "\(what): HTTP \(response.status) with an unreadable answer: \(error.userMessage)")
            }
        }
        throw AWSQueryError(response).rikerError(what, attempts: attempts)
    }

    /// Calls a paginated `action` until AWS stops handing out a token, collecting each page's
    /// items. `tokenParameter` is the request's name for the token (`NextToken`, `Marker`);
    /// `nextToken` reads the next one from a page (nil or empty: last page). Throws like
    /// `perform`, and `.aws` if a server hands the same token back twice (it would never end).
    public func collectPages<Item>(_ action: String, _ parameters: AWSQueryParameters, context: String? = nil,
                                   tokenParameter: String = "NextToken", nextToken: (AWSXMLElement) -> String?,
                                   items: (AWSXMLElement) throws -> [Item]) async throws -> [Item] {
        var all: [Item] = []
        var token: String?
        var seen: Set<String> = []
        repeat {
            var p = parameters
            p.set(tokenParameter, token)
            let page = try await perform(action, p, context: context)
            all += try items(page)
            token = nextToken(page).flatMap { $0.isEmpty ? nil : $0 }
            if let t = token, !seen.insert(t).inserted {
                throw RikerError(.aws, "\(service.displayName) \(action): the server returned the same \(tokenParameter) twice; stopped paging")
            }
        } while token != nil
        return all
    }
}
