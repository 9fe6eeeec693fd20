import Foundation
import RikerAWS
import RikerCore
import RikerRelease
import RikerTestSupport

/// The stores the shipping and reading tests run against: a local directory and S3 on moto.
enum LogStoreKind: String, CaseIterable, Sendable {
    case local, s3

    /// A fresh, empty store of this kind, and how to throw it away.
    func make() async throws -> (store: any ReleaseStore, cleanup: () -> Void) {
        switch self {
        case .local:
            let dir = try TempDir("log-store")
            return (LocalReleaseStore(directory: dir.url), { dir.remove() })
        case .s3:
            let moto = try MotoServer.shared()
            var config = try S3Configuration.fromEnvironment(moto.environment)
            config.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.3)
            let client = S3Client(configuration: config, credentials: AWSCredentialChain(environment: moto.environment))
            let bucket = "riker-logs-\(UUID().uuidString.prefix(8).lowercased())"
            try await client.createBucket(bucket)
            return (S3ReleaseStore(bucket: bucket, prefix: "team/riker", client: client), {})
        }
    }
}

/// Waits (polling every 20 ms) until `condition` holds; false if it did not within `timeout`.
/// Used to wait for real servers and threads, never to measure time.
func eventually(timeout: Double = 30, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return try await condition()
}
