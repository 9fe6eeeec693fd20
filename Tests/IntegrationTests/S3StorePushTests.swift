import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// The spine with `store=s3://…`: releases and slugs (layers and their manifest) live in a real moto_server bucket.
@Suite struct S3StorePushTests {
    @Test func pushesStoreReleasesAndTaggedSlugsInS3() throws {
        let moto = try MotoServer.shared()
        let aws = AWSFixture(moto: moto)
        let bucket = "riker-e2e-\(aws.tag)"
        let conf = try aws.s3StoreConfig(bucket: bucket, prefix: "prod")
        let server = try RikerServer(config: conf)
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)

        let first = try server.push(repo.url, app: "web")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        #expect(try httpGet(url)?.status == 200)

        try repo.write("version.txt", "two\n")
        let commit2 = try repo.commitAll("two")
        let second = try server.push(repo.url, app: "web")
        #expect(second.succeeded, "\(second.output)")
        #expect(try httpGet(url + "/version.txt")?.body.contains("two") == true)

        // (No --prefix: moto canonicalises a '/' in the query differently from the awscli's signature.)
        let keys = try aws.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--query", "Contents[].Key"])
        #expect(keys.contains("prod/apps/web/production/releases/v1/release.json"))
        #expect(keys.contains("prod/apps/web/production/releases/v2/release.json"))
        #expect(keys.contains("prod/apps/web/production/current"))
        #expect(!FileManager.default.fileExists(atPath: server.root.appendingPathComponent("store/apps").path), "nothing may go to the local store")

        let release = try aws.aws(["s3", "cp", "s3://\(bucket)/prod/apps/web/production/releases/v2/release.json", "-"])
        #expect(release.contains(commit2))
        let slugKey = try #require(keys.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).map(String.init).first {
            $0.contains("/blobs/sha256/") && release.contains("\"artifact\" : \"apps/web/blobs/sha256/\($0.split(separator: "/").last!)\"")
        })
        let tags = try aws.aws(["s3api", "get-object-tagging", "--bucket", bucket, "--key", slugKey, "--query", "TagSet[].[Key,Value]"])
        #expect(tags.contains("app\tweb"))
        #expect(tags.contains("env\tproduction"))
        #expect(tags.contains("commit\t\(commit2)"))
        let current = try aws.aws(["s3", "cp", "s3://\(bucket)/prod/apps/web/production/current", "-"])
        #expect(current == "v2")
    }
}
