import Foundation
import RikerAWS
import RikerCore
import RikerRelease
import RikerTestSupport

/// The stores the conformance suite runs against: the same cases, both implementations.
enum StoreKind: String, CaseIterable, Sendable {
    case local, s3
}


/// A fresh, empty store of one kind, and how to throw it away.
struct StoreFixture {
    let store: any ReleaseStore
    let cleanup: () -> Void

    static func make(_ kind: StoreKind, configure: (inout S3Configuration) -> Void = { _ in }) async throws -> StoreFixture {
        switch kind {
        case .local:
            let dir = try TempDir("store")
            return StoreFixture(store: LocalReleaseStore(directory: dir.url), cleanup: { dir.remove() })
        case .s3:
            let moto = try MotoServer.shared()
            let client = try s3Client(moto, configure: configure)
            let bucket = "riker-\(UUID().uuidString.prefix(8).lowercased())"
            try await client.createBucket(bucket)
            return StoreFixture(store: S3ReleaseStore(bucket: bucket, prefix: "team/riker", client: client), cleanup: {})
        }
    }

    /// A client for moto (or any endpoint) with test-friendly retry timings.
    static func s3Client(_ moto: MotoServer, endpoint: String? = nil, secret: String? = nil,
                         configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3Client {
        var env = moto.environment
        if let endpoint { env["AWS_ENDPOINT_URL"] = endpoint }
        if let secret { env["AWS_SECRET_ACCESS_KEY"] = secret }
        var config = try S3Configuration.fromEnvironment(env)
        config.retry = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.3)
        configure(&config)
        return S3Client(configuration: config, credentials: AWSCredentialChain(environment: env))
    }
}

/// A release draft for `app`/`env`.
func draft(_ app: String = "web", _ env: String = "production", description: String = "test") -> Release {
    Release(version: 0, app: app, env: env, commit: String(repeating: "a", count: 40), ref: "refs/heads/main", builder: "test",
            processTypes: ["web": "python app.py"], artifact: "apps/\(app)/slugs/x.tar.zst", sha256: String(repeating: "0", count: 64),
            size: 1, config: [:], createdAt: Date(), createdBy: "test", description: description)
}

/// Writes `size` bytes of a deterministic pattern to `url` a MiB at a time (never all in memory).
func writePatternFile(_ url: URL, size: Int, seed: UInt8 = 7) throws {
    FileManager.default.createFile(atPath: url.path, contents: nil)
    let h = try FileHandle(forWritingTo: url)
    defer { try? h.close() }
    var chunk = Data(count: 1 << 20)
    var written = 0
    var block: UInt32 = 0
    while written < size {
        let n = min(chunk.count, size - written)
        chunk.withUnsafeMutableBytes { raw in
            let p = raw.bindMemory(to: UInt32.self)
            for i in 0..<p.count { p[i] = (block &* 2_654_435_761) ^ UInt32(i) &+ UInt32(seed) }
        }
        try h.write(contentsOf: chunk.prefix(n))
        written += n
        block += 1
    }
}

/// The resident memory of this process now, in bytes (Linux /proc).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb * 1024
}
