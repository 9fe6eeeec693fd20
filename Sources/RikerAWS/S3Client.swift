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
    let sender: AWSRequestSender

    public init(configuration: S3Configuration, credentials: any AWSCredentialProvider) {
        self.configuration = configuration
        self.sender = AWSRequestSender(signer: SigV4Signer(region: configuration.region, service: "s3"), credentials: credentials,
                                       retry: configuration.retry, maxIdleConnections: max(8, configuration.maxConcurrentParts * 2))
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

    /// Sends `call`, retrying 5xx, SlowDown, RequestTimeout and connection failures; returns the
    /// final response whatever its status (the caller decides what a 404 or 412 means).
    /// `sink` makes a fresh sink per try.
    func send(_ call: Call, sink: () -> HTTPResponseSink = { .memory }) async throws -> Answer {
        let payloadHash: String
        switch (call.payloadHash, call.body) {
        case (let h?, _): payloadHash = h
        case (nil, .data(let d)): payloadHash = SigV4Signer.hex(SHA256.hash(data: d))
        case (nil, .none): payloadHash = SigV4Signer.emptyPayloadHash
        case (nil, .file): payloadHash = "UNSIGNED-PAYLOAD"
        }
        let request = AWSRequestSender.Request(
            method: call.method, url: configuration.url(bucket: call.bucket, key: call.key, query: call.query),
            headers: call.headers, body: call.body, payloadHash: payloadHash,
            timeout: call.large ? nil : configuration.requestTimeout,
            lowSpeedLimit: call.large ? (bytesPerSecond: 1024, seconds: 60) : nil, what: call.what)
        let (response, attempts) = try await sender.send(request, sink: sink) {
            RetryPolicy.isRetryable(status: $0.status, code: S3ErrorBody($0.body).code)
        }
        return Answer(response: response, attempts: attempts)
    }

    /// The XML document of a successful answer; `.store` naming the call if it is not XML.
    static func parse(_ answer: Answer, _ call: Call) throws -> AWSXMLElement {
        do { return try AWSXMLElement.parse(answer.response.body) } catch {
            throw RikerError(.store, "\(call.what): HTTP \(answer.response.status) with an unreadable answer: \(error.userMessage)")
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

/// The `<Error><Code>…</Code><Message>…</Message></Error>` document S3 answers failures with.
struct S3ErrorBody {
    var code: String?
    var message: String?
    init(_ data: Data) {
        guard !data.isEmpty, data.count < 64 << 10 else { return }
        guard let error = (try? AWSXMLElement.parse(data))?.first(named: "Error") else { return }
        code = error.text("Code")
        message = error.text("Message")
    }
}
