import Foundation
import RikerAWS
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing

/// What only the S3 store has to prove: signatures, tags, encryption, store URLs.
@Suite struct S3StoreTests {
    @Test func wrongSecretFailsWithAClear403AndIsNotRetried() async throws {
        let moto = try MotoServer.shared()
        let proxy = try FaultProxy(upstream: moto.endpoint)
        defer { proxy.stop() }
        let client = try StoreFixture.s3Client(moto, endpoint: proxy.baseURL, secret: "not-the-secret")
        await #expect {
            _ = try await client.getObject(bucket: "anything", key: "apps/web/app.json")
        } throws: { e in
            let re = e as? RikerError
            return re?.code == .permissionDenied && re!.message.contains("403") && re!.message.contains("SignatureDoesNotMatch")
                && re!.message.contains("AWS_SECRET_ACCESS_KEY") && !re!.message.contains("not-the-secret")
        }
        #expect(proxy.log().count == 1, "a 403 is not retried: \(proxy.log())")
    }

    @Test func artifactsCarryTagsEncryptionAndTheirSHA256() async throws {
        let f = try await StoreFixture.make(.s3) { $0.serverSideEncryption = "AES256" }
        let store = try #require(f.store as? S3ReleaseStore)
        let dir = try TempDir(); defer { dir.remove() }
        let file = dir.path("slug")
        try writePatternFile(file, size: 1_000_000)
        try await store.upload("apps/web/slugs/x.tar.zst", from: file, tags: ["app": "web", "env": "production", "commit": "c0ffee"])
        #expect(try await store.tags("apps/web/slugs/x.tar.zst") == ["app": "web", "env": "production", "commit": "c0ffee"])
        let head = try #require(try await store.client.headObject(bucket: store.bucket, key: store.prefix + "apps/web/slugs/x.tar.zst"))
        #expect(head.serverSideEncryption == "AES256")
        let sha = try ProcessRunner.capture(ProcessSpec("sha256sum", [file.path])).output.prefix(64)
        #expect(head.metadata["sha256"] == String(sha))
    }

    @Test func storeLocatorOpensS3URLs() throws {
        setenv("AWS_EC2_METADATA_DISABLED", "true", 0)
        let store = try StoreLocator.open("s3://my-bucket/some/prefix/")
        let s3 = try #require(store as? S3ReleaseStore)
        #expect(s3.bucket == "my-bucket")
        #expect(s3.prefix == "some/prefix/")
        #expect(s3.url == "s3://my-bucket/some/prefix/")
        #expect(throws: RikerError.self) { try StoreLocator.open("s3:///nobucket") }
    }
}
