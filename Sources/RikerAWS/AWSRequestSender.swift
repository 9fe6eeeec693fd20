import Foundation
import RikerCore
import RikerHTTP

/// Signs AWS requests with SigV4 and sends them over a pool of keep-alive connections, trying
/// again with backoff and full jitter when the answer or the transport says it is worth it.
/// The one sender behind `S3Client` and `AWSQueryClient`: each decides which answers are
/// worth another try and what a final answer means.
final class AWSRequestSender: Sendable {
    let signer: SigV4Signer
    let credentials: any AWSCredentialProvider
    let pool: HTTPConnectionPool
    let retry: RetryPolicy
    /// Set once a server showed it canonicalises queries with `/` decoded (see `send`).
    private let slashQuirk = Flag()

    init(signer: SigV4Signer, credentials: any AWSCredentialProvider, retry: RetryPolicy, maxIdleConnections: Int) {
        self.signer = signer
        self.credentials = credentials
        self.retry = retry
        self.pool = HTTPConnectionPool(maxIdle: maxIdleConnections)
    }

    /// A request before signing.
    struct Request {
        var method: String
        var url: String
        var headers: [String: String] = [:]
        var body: HTTPBody = .none
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        var payloadHash: String
        var timeout: Double?
        var lowSpeedLimit: (bytesPerSecond: Int, seconds: Int)?
        /// Names the call in error messages (`S3 PUT s3://bucket/key`, `Auto Scaling DescribeAutoScalingGroups`).
        var what: String
    }

    /// Sends `request` until an answer is final: one `shouldRetry` rejects, or the last try.
    /// Returns that answer whatever its status, and how many tries it took. Transport failures
    /// (`.http`) are tried again too; after the last try they throw `.http` naming the call.
    /// `sink` makes a fresh response sink per try.
    func send(_ request: Request, sink: () -> HTTPResponseSink = { .memory },
              shouldRetry: (HTTPResponse) -> Bool) async throws -> (response: HTTPResponse, attempts: Int) {
        guard let url = URL(string: request.url) else {
            throw RikerError(.invalidInput, "\(request.what): cannot form a URL from '\(request.url)'")
        }
        let query = request.url.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        let queryHasSlash = query.contains("%2F")
        var attempt = 0
        var quirkTried = false
        while true {
            attempt += 1
            var headers = request.headers
            let quirk = queryHasSlash && slashQuirk.isSet
            signer.sign(method: request.method, url: url, headers: &headers, payloadHash: request.payloadHash,
                        credentials: try await credentials.credentials(), slashInQuery: quirk)
            let http = HTTPRequest(method: request.method, url: request.url, headers: headers, body: request.body,
                                   timeout: request.timeout, connectTimeout: 10, lowSpeedLimit: request.lowSpeedLimit)
            let lastTry = attempt >= retry.maxAttempts
            do {
                let response = try await pool.perform(http, into: sink())
                // AWS signs `/` in query values as %2F. moto decodes the query first and then
                // disagrees; if a signature with %2F in the query is refused, try once the way
                // such a server computes it, and keep doing so if that works.
                if response.status == 403, queryHasSlash, !quirk, !quirkTried, Self.errorCode(response) == "SignatureDoesNotMatch" {
                    quirkTried = true
                    slashQuirk.set(true)
                    attempt -= 1
                    continue
                }
                if !response.isSuccess, shouldRetry(response), !lastTry {
                    try await Task.sleep(nanoseconds: UInt64(retry.delay(after: attempt) * 1e9))
                    continue
                }
                return (response, attempt)
            } catch let error where RetryPolicy.isRetryable(error) {
                if lastTry { throw RikerError(.http, "\(request.what) failed after \(attempt) tries: \(error.userMessage)") }
                try await Task.sleep(nanoseconds: UInt64(retry.delay(after: attempt) * 1e9))
            }
        }
    }

    /// The `<Code>` of an AWS error document (S3's `<Error>` and the query APIs' alike).
    static func errorCode(_ response: HTTPResponse) -> String? {
        guard !response.body.isEmpty, response.body.count < 64 << 10 else { return nil }
        return (try? AWSXMLElement.parse(response.body))?.first(named: "Error")?.text("Code")
    }
}

/// A Bool shared across threads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set(_ v: Bool) { lock.withLock { value = v } }
}
