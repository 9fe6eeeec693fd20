import Foundation
import RikerAWS
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing

/// Large artifacts: multipart upload streamed from disk and a streamed, verified download,
/// with this process's resident memory sampled throughout.
@Suite struct S3MultipartTests {
    @Test func a200MBArtifactRoundTripsWithBoundedMemory() async throws {
        let f = try await StoreFixture.make(.s3)
        let store = try #require(f.store as? S3ReleaseStore)
        let dir = try TempDir("multipart"); defer { dir.remove() }
        let file = dir.path("big.tar.zst")
        let size = 200 << 20
        try writePatternFile(file, size: size)
        let sampler = MemorySampler()
        let baseline = residentBytes()
        sampler.start()
        try await store.upload("apps/web/slugs/big.tar.zst", from: file, tags: ["app": "web"])
        let back = dir.path("back.tar.zst")
        try await store.download("apps/web/slugs/big.tar.zst", to: back)
        let peak = sampler.stop()
        let grew = max(0, peak - baseline)
        #expect(grew < 64 << 20, "resident memory grew by \(grew >> 20) MiB during a 200 MiB round trip")
        #expect(try await store.head("apps/web/slugs/big.tar.zst")?.size == Int64(size))
        let sums = try ProcessRunner.capture(ProcessSpec("sha256sum", [file.path, back.path])).output.split(separator: "\n").map { $0.prefix(64) }
        #expect(sums.count == 2 && sums[0] == sums[1])
        #expect(try await store.client.listMultipartUploads(bucket: store.bucket, prefix: store.prefix).isEmpty)
    }
}

/// Samples this process's resident memory every 20 ms on a thread of its own.
final class MemorySampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    private var running = false
    private var thread: Thread?

    func start() {
        lock.lock(); running = true; peak = residentBytes(); lock.unlock()
        let t = Thread { [self] in
            while true {
                let now = residentBytes()
                lock.lock()
                peak = max(peak, now)
                let go = running
                lock.unlock()
                if !go { return }
                usleep(20_000)
            }
        }
        thread = t
        t.start()
    }

    /// Stops sampling and returns the peak seen.
    func stop() -> Int {
        lock.lock(); running = false; peak = max(peak, residentBytes()); let p = peak; lock.unlock()
        return p
    }
}
