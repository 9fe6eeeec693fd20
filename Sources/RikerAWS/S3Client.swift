import Crypto
import Foundation
import RikerCore
import RikerHTTP

/// An S3 client on libcurl: SigV4-signed requests, retried with backoff on 5xx, SlowDown,
/// RequestTimeout and connection errors, over a pool of keep-alive connections.
///
/// Errors: 412 → `.preconditionFailed`; 403 → `.permissionDenied`; 404 → `.notFound`; other
/// S3 answers → `.store`, with S3's code and message and the `s3://bucket/key` involved;
/// a server that cannot be reached after the last try → `.http`.
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    let credentials: any AWSCredentialProvider
    let pool: HTTPConnectionPool
    let signer: SigV4Signer
    /// Set once the server showed it canonicalises queries with `/` decoded (see `send`).
    let slashQuirk = Flag()

    public init(configuration: S3Configuration, credentials: any AWSCredentialProvider) {
        self.configuration = configuration
        self.credentials = credentials
        self.pool = HTTPConnectionPool(maxIdle: max(8, configuration.maxConcurrentParts * 2))
        self.signer = SigV4Signer(region: configuration.region, service: "s3")
    }

    /// A client configured from the environment (region, endpoint, credential chain).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Client {
        S3Client(configuration: try .fromEnvironment(env), credentials: AWSCredentialChain(environment: env))
    }

    /// One S3 call before signing.
    struct Call {
        var method: String
        var bucket: String
        var key: String = ""
        var query: String = ""
        var headers: [String: String] = [:]
        var body: HTTPBody = .none
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`; computed for in-memory bodies when nil.
        var payloadHash: String?
        /// A big transfer: no overall time limit, only a stall detector.
        var large = false

        var resource: String { key.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(key)" }
        var what: String { "S3 \(method) \(resource)" }
    }

    /// A response and how many tries it took.
    struct Answer {
        var response: HTTPResponse
        var attempts: Int
    }

    /// Sends `call`, retrying what is worth retrying; returns the final response whatever its
    /// status (the caller decides what a 404 or 412 means). `sink` makes a fresh sink per try.
    func send(_ call: Call, sink: () -> HTTPResponseSink = { .memory }) async throws -> Answer {
        let urlString = configuration.url(bucket: call.bucket, key: call.key, query: call.query)
        guard let url = URL(string: urlString) else { throw RikerError(.invalidInput, "\(call.what): cannot form a URL from '\(urlString)'") }
        let payloadHash: String
        switch (call.payloadHash, call.body) {
        case (let h?, _): payloadHash = h
        case (nil, .data(let d)): payloadHash = SigV4Signer.hex(SHA256.hash(data: d))
        case (nil, .none): payloadHash = SigV4Signer.emptyPayloadHash
        case (nil, .file): payloadHash = "UNSIGNED-PAYLOAD"
        }
        let policy = configuration.retry
        let queryHasSlash = urlString.contains("?") && urlString.split(separator: "?", maxSplits: 1)[1].contains("%2F")
        var attempt = 0
        var quirkTried = false
        while true {
            attempt += 1
            var headers = call.headers
            let quirk = queryHasSlash && slashQuirk.isSet
            signer.sign(method: call.method, url: url, headers: &headers, payloadHash: payloadHash, credentials: try await credentials.credentials(),
                        slashInQuery: quirk)
            let request = HTTPRequest(method: call.method, url: urlString, headers: headers, body: call.body,
                                      timeout: call.large ? nil : configuration.requestTimeout, connectTimeout: 10,
                                      lowSpeedLimit: call.large ? (bytesPerSecond: 1024, seconds: 60) : nil)
            let lastTry = attempt >= policy.maxAttempts
            do {
                let response = try await pool.perform(request, into: sink())
                // AWS signs `/` in query values as %2F. moto decodes the query first and then
                // disagrees; if a signature with %2F in the query is refused, try once the way
                // such a server computes it, and keep doing so if that works.
                if response.status == 403, queryHasSlash, !quirk, !quirkTried,
                   S3ErrorBody(response.body).code == "SignatureDoesNotMatch" {
                    quirkTried = true
                    slashQuirk.set(true)
                    attempt -= 1
                    continue
                }
                if !response.isSuccess, RetryPolicy.isRetryable(status: response.status, code: S3ErrorBody(response.body).code), !lastTry {
                    try await Task.sleep(nanoseconds: UInt64(policy.delay(after: attempt) * 1e9))
                    continue
                }
                return Answer(response: response, attempts: attempt)
            } catch let error where RetryPolicy.isRetryable(error) {
                if lastTry {
                    throw RikerError(.http, "\(call.what) failed after \(attempt) tries: \((error as! RikerError).message)")
                }
                try await Task.sleep(nanoseconds: UInt64(policy.delay(after: attempt) * 1e9))
            }
        }
    }

    /// The error for an S3 answer that is not what the caller wanted.
    func failure(_ call: Call, _ answer: Answer) -> RikerError {
        let r = answer.response
        let body = S3ErrorBody(r.body)
        var text = "\(call.what): HTTP \(r.status)"
        if let code = body.code { text += " \(code)" }
        if let message = body.message { text += ": \(message)" }
        if answer.attempts > 1 { text += " (after \(answer.attempts) tries)" }
        switch (r.status, body.code) {
        case (412, _): return RikerError(.preconditionFailed, text)
        case (403, "SignatureDoesNotMatch"): return RikerError(.permissionDenied, text + " (check AWS_SECRET_ACCESS_KEY for the key in use)")
        case (403, "InvalidAccessKeyId"): return RikerError(.permissionDenied, text + " (check AWS_ACCESS_KEY_ID)")
        case (403, _): return RikerError(.permissionDenied, text)
        case (404, _): return RikerError(.notFound, text)
        default: return RikerError(.store, text)
        }
    }
}

/// A Bool shared across threads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: Bool) { lock.lock(); value = v; lock.unlock() }
}

/// The `<Error><Code>…</Code><Message>…</Message></Error>` document S3 answers failures with.
struct S3ErrorBody {
    var code: String?
    var message: String?
    init(_ data: Data) {
        guard !data.isEmpty, data.count < 64 << 10 else { return }
        let xml = String(decoding: data, as: UTF8.self)
        code = S3XML.first("Code", in: xml)
        message = S3XML.first("Message", in: xml)
    }
}
