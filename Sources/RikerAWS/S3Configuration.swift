import Foundation
import RikerCore

/// Where and how an `S3Client` talks to S3.
public struct S3Configuration: Sendable {
    /// How a bucket appears in request URLs.
    public enum Addressing: String, Sendable {
        /// `ENDPOINT/BUCKET/KEY` (S3-compatible servers, moto, buckets with dots).
        case path
        /// `BUCKET.ENDPOINT-HOST/KEY` (AWS's default).
        case virtualHosted = "virtual"
    }

    public var region: String
    /// `http(s)://host[:port]`; nil means AWS: `https://s3.REGION.amazonaws.com`.
    public var endpoint: String?
    public var addressing: Addressing
    public var retry: RetryPolicy
    /// Files larger than this are sent with multipart upload.
    public var multipartThreshold: Int64
    /// Size of each part (S3's minimum is 5 MiB, except the last).
    public var partSize: Int64
    /// Parts in flight at once.
    public var maxConcurrentParts: Int
    /// `x-amz-server-side-encryption` for uploads (`AES256` or `aws:kms`), nil for the bucket default.
    public var serverSideEncryption: String?
    /// `x-amz-server-side-encryption-aws-kms-key-id` when `serverSideEncryption` is `aws:kms`.
    public var kmsKeyId: String?
    /// Time limit for small requests, in seconds; big transfers are limited by a stall detector instead.
    public var requestTimeout: Double
    /// Sign part bodies with their SHA-256 (true) or send `UNSIGNED-PAYLOAD` for them (false).
    public var signPartPayloads: Bool

    public init(region: String = "us-east-1", endpoint: String? = nil, addressing: Addressing? = nil,
                retry: RetryPolicy = RetryPolicy(), multipartThreshold: Int64 = 16 << 20, partSize: Int64 = 16 << 20,
                maxConcurrentParts: Int = 4, serverSideEncryption: String? = nil, kmsKeyId: String? = nil,
                requestTimeout: Double = 60, signPartPayloads: Bool = true) {
        self.region = region
        self.endpoint = endpoint.map { var e = $0; while e.hasSuffix("/") { e.removeLast() }; return e }
        self.addressing = addressing ?? (endpoint == nil ? .virtualHosted : .path)
        self.retry = retry
        self.multipartThreshold = multipartThreshold
        self.partSize = max(5 << 20, partSize)
        self.maxConcurrentParts = max(1, maxConcurrentParts)
        self.serverSideEncryption = serverSideEncryption
        self.kmsKeyId = kmsKeyId
        self.requestTimeout = requestTimeout
        self.signPartPayloads = signPartPayloads
    }

    /// From the environment: region (`AWS_REGION`, …), endpoint (`AWS_ENDPOINT_URL_S3`,
    /// `AWS_ENDPOINT_URL`), and Riker's own knobs: `RIKER_S3_ADDRESSING` (path|virtual),
    /// `RIKER_S3_SSE`, `RIKER_S3_KMS_KEY_ID`, `RIKER_S3_MULTIPART_THRESHOLD_MB`,
    /// `RIKER_S3_PART_SIZE_MB`, `RIKER_S3_CONCURRENCY`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Configuration {
        var addressing: Addressing?
        if let a = env["RIKER_S3_ADDRESSING"], !a.isEmpty {
            guard let parsed = Addressing(rawValue: a) else {
                throw RikerError(.invalidInput, "RIKER_S3_ADDRESSING='\(a)': use path or virtual")
            }
            addressing = parsed
        }
        func mib(_ k: String, _ def: Int64) throws -> Int64 {
            guard let v = env[k], !v.isEmpty else { return def }
            guard let n = Int64(v), n > 0 else { throw RikerError(.invalidInput, "\(k)='\(v)': expected a number of MiB") }
            return n << 20
        }
        let endpoint = AWSEnvironment.endpoint(service: "s3", env)
        if let e = endpoint, !(e.hasPrefix("http://") || e.hasPrefix("https://")) {
            throw RikerError(.invalidInput, "S3 endpoint '\(e)' must start with http:// or https://")
        }
        return S3Configuration(
            region: AWSEnvironment.region(env), endpoint: endpoint, addressing: addressing,
            multipartThreshold: try mib("RIKER_S3_MULTIPART_THRESHOLD_MB", 16 << 20),
            partSize: try mib("RIKER_S3_PART_SIZE_MB", 16 << 20),
            maxConcurrentParts: Int(env["RIKER_S3_CONCURRENCY"] ?? "") ?? 4,
            serverSideEncryption: env["RIKER_S3_SSE"].flatMap { $0.isEmpty ? nil : $0 },
            kmsKeyId: env["RIKER_S3_KMS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The URL of `key` in `bucket` (key "" is the bucket itself), with `query` appended.
    public func url(bucket: String, key: String, query: String = "") -> String {
        let path = key.isEmpty ? "" : AWSURI.encode(key, keepSlash: true)
        let q = query.isEmpty ? "" : "?" + query
        let base = endpoint ?? "https://s3.\(region).amazonaws.com"
        switch addressing {
        case .path:
            return "\(base)/\(bucket)\(path.isEmpty ? "" : "/" + path)\(q)"
        case .virtualHosted:
            let schemeEnd = base.range(of: "://")!.upperBound
            return "\(base[..<schemeEnd])\(bucket).\(base[schemeEnd...])/\(path)\(q)"
        }
    }
}
