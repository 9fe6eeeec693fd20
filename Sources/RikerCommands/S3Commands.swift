import ArgumentParser
import Foundation
import RikerAWS
import RikerCore

/// `riker s3:cp SRC DST` (hidden): copies one file to or from S3 with Riker's own S3 client,
/// configured like the store (AWS credential chain, `AWS_REGION`, `AWS_ENDPOINT_URL`,
/// `RIKER_S3_*`). For benchmarks and for checking S3 access from a server.
public struct S3CopyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: Verb.s3Copy.name,
        abstract: "Copy a file to or from S3 (s3://BUCKET/KEY) with Riker's S3 client.",
        shouldDisplay: false
    )

    @Argument(help: "A local file or s3://BUCKET/KEY.") var source: String
    @Argument(help: "A local file or s3://BUCKET/KEY.") var destination: String
    @Flag(name: .customLong("create-bucket"), help: "Create the bucket first if it does not exist.") var createBucket = false

    public init() {}

    public mutating func run() async throws {
        let client = try S3Client.fromEnvironment()
        switch (Self.s3Location(source), Self.s3Location(destination)) {
        case (nil, let to?):
            if createBucket { try await client.createBucket(to.bucket) }
            try await client.uploadFile(bucket: to.bucket, key: to.key, file: URL(fileURLWithPath: source))
        case (let from?, nil):
            try await client.downloadFile(bucket: from.bucket, key: from.key, to: URL(fileURLWithPath: destination))
        default:
            throw RikerError(.invalidInput, "s3:cp copies between a local file and s3://BUCKET/KEY (got '\(source)' and '\(destination)')")
        }
    }

    static func s3Location(_ s: String) -> (bucket: String, key: String)? {
        guard s.hasPrefix("s3://") else { return nil }
        let rest = s.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/") else { return (String(rest), "") }
        return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
    }

    public func validate() throws {
        for s in [source, destination] {
            if let loc = Self.s3Location(s), loc.bucket.isEmpty || loc.key.isEmpty {
                throw ValidationError("'\(s)' must name a bucket and a key: s3://BUCKET/KEY")
            }
        }
    }
}
