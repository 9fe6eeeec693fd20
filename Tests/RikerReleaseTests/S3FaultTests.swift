import Foundation
import RikerAWS
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing

/// Injected faults between the store and moto_server: a loopback proxy answers 503 SlowDown,
/// drops connections, or loses answers for chosen requests.
@Suite struct S3FaultTests {
    struct Rig {
        let proxy: FaultProxy
        let store: S3ReleaseStore
    }

    func rig(_ configure: (inout S3Configuration) -> Void = { _ in }) async throws -> Rig {
        let moto = try MotoServer.shared()
        let proxy = try FaultProxy(upstream: moto.endpoint)
        let client = try StoreFixture.s3Client(moto, endpoint: proxy.baseURL, configure: configure)
        let bucket = "faults-\(UUID().uuidString.prefix(8).lowercased())"
        try await client.createBucket(bucket)
        return Rig(proxy: proxy, store: S3ReleaseStore(bucket: bucket, prefix: "p", client: client))
    }

    @Test func retriesGetThrough503sAndDroppedConnections() async throws {
        let r = try await rig(); defer { r.proxy.stop() }
        try r.proxy.inject(.unavailable, method: "PUT", match: "/config.env", times: 2)
        try r.proxy.inject(.drop, method: "GET", match: "/config.env", times: 1)
        try await r.store.put("apps/web/production/config.env", Data("A=1\n".utf8), condition: .always)
        #expect(try await r.store.get("apps/web/production/config.env")?.data == Data("A=1\n".utf8))
        let log = r.proxy.log().filter { $0.contains("config.env") }
        #expect(log.filter { $0.hasPrefix("PUT") && $0.hasSuffix("-> 503") }.count == 2)
        #expect(log.contains { $0.hasPrefix("GET") && $0.hasSuffix("-> drop") })
        #expect(log.filter { $0.contains("forwarded 200") }.count == 2, "\(log)")
    }

    @Test func aClaimWhoseAnswerWasLostIsStillOurs() async throws {
        let r = try await rig(); defer { r.proxy.stop() }
        try r.proxy.inject(.lost, method: "PUT", match: "/releases/v1/release.json", times: 1)
        let release = try await r.store.createRelease(draft(description: "lost answer"))
        #expect(release.version == 1, "\(r.proxy.log())")
        #expect(try await r.store.releaseVersions("web", "production") == [1])
    }

    @Test func afterTheLastTryTheErrorSaysWhatFailed() async throws {
        let r = try await rig(); defer { r.proxy.stop() }
        try r.proxy.inject(.unavailable, method: "GET", match: "/current", times: 10)
        await #expect {
            _ = try await r.store.current("web", "production")
        } throws: { e in
            let m = (e as? RikerError)?.message ?? ""
            return m.contains("503") && m.contains("SlowDown") && m.contains("after 4 tries") && m.contains("/current")
        }
        #expect(r.proxy.log().filter { $0.contains("/current") }.count == 4)
    }

    @Test func aFailedMultipartUploadLeavesNoObjectNoPartsAndNoRelease() async throws {
        let r = try await rig { $0.multipartThreshold = 5 << 20; $0.partSize = 5 << 20 }
        defer { r.proxy.stop() }
        let dir = try TempDir(); defer { dir.remove() }
        let file = dir.path("slug")
        try writePatternFile(file, size: 12 << 20)
        try r.proxy.inject(.unavailable, method: "PUT", match: "partNumber=2&", times: 100)
        let sha = String(repeating: "cd", count: 32)
        await #expect(throws: RikerError.self) {
            // The pipeline's order: the slug first, the release only once it is stored.
            let slug = try await r.store.storeSlug(app: "web", file: file, sha256: sha, ext: "tar.zst", tags: ["app": "web"])
            _ = try await r.store.createRelease(draft(description: slug.key))
        }
        #expect(try await r.store.head(StoreLayout.slug("web", sha256: sha, ext: "tar.zst")) == nil)
        #expect(try await r.store.releaseVersions("web", "production").isEmpty)
        #expect(try await r.store.client.listMultipartUploads(bucket: r.store.bucket, prefix: "").isEmpty)
        #expect(r.proxy.log().contains { $0.hasPrefix("DELETE") && $0.contains("uploadId=") }, "the upload was aborted")

        // With the fault gone the same upload goes through in parts.
        try r.proxy.clear()
        try await r.store.upload("apps/web/slugs/\(sha).tar.zst", from: file, tags: [:])
        #expect(try await r.store.head("apps/web/slugs/\(sha).tar.zst")?.size == Int64(12 << 20))
    }
}
