import Foundation
import RikerAWS
import RikerCore
import Testing

@Suite struct S3ConfigurationTests {
    @Test func customEndpointsDefaultToPathStyle() throws {
        let c = try S3Configuration.fromEnvironment(["AWS_ENDPOINT_URL": "http://127.0.0.1:9000/", "AWS_REGION": "eu-west-1"])
        #expect(c.addressing == .path)
        #expect(c.region == "eu-west-1")
        #expect(c.url(bucket: "b", key: "apps/web/slugs/a b.tar.zst") == "http://127.0.0.1:9000/b/apps/web/slugs/a%20b.tar.zst")
        #expect(c.url(bucket: "b", key: "", query: "list-type=2") == "http://127.0.0.1:9000/b?list-type=2")
    }

    @Test func awsDefaultsToVirtualHostedAndCanBeForcedEitherWay() throws {
        let aws = try S3Configuration.fromEnvironment(["AWS_REGION": "us-west-2"])
        #expect(aws.url(bucket: "riker-prod", key: "apps/x") == "https://riker-prod.s3.us-west-2.amazonaws.com/apps/x")
        let forced = try S3Configuration.fromEnvironment(["AWS_ENDPOINT_URL_S3": "http://minio.local:9000", "RIKER_S3_ADDRESSING": "virtual"])
        #expect(forced.url(bucket: "b", key: "k", query: "tagging") == "http://b.minio.local:9000/k?tagging")
        #expect(throws: RikerError.self) { try S3Configuration.fromEnvironment(["RIKER_S3_ADDRESSING": "sideways"]) }
    }

    @Test func multipartAndEncryptionKnobsComeFromTheEnvironment() throws {
        let c = try S3Configuration.fromEnvironment(["RIKER_S3_MULTIPART_THRESHOLD_MB": "64", "RIKER_S3_PART_SIZE_MB": "8",
                                                     "RIKER_S3_CONCURRENCY": "6", "RIKER_S3_SSE": "aws:kms", "RIKER_S3_KMS_KEY_ID": "key-1"])
        #expect(c.multipartThreshold == 64 << 20)
        #expect(c.partSize == 8 << 20)
        #expect(c.maxConcurrentParts == 6)
        #expect(c.serverSideEncryption == "aws:kms")
        #expect(S3Configuration(partSize: 1).partSize == 5 << 20, "S3's minimum part size")
    }

    @Test func retriesOnlyWhatIsWorthRetrying() {
        #expect(RetryPolicy.isRetryable(status: 503, code: "SlowDown"))
        #expect(RetryPolicy.isRetryable(status: 500, code: "InternalError"))
        #expect(RetryPolicy.isRetryable(status: 400, code: "RequestTimeout"))
        #expect(!RetryPolicy.isRetryable(status: 403, code: "AccessDenied"))
        #expect(!RetryPolicy.isRetryable(status: 412, code: "PreconditionFailed"))
        #expect(!RetryPolicy.isRetryable(status: 404, code: "NoSuchKey"))
        let p = RetryPolicy(maxAttempts: 5, baseDelay: 0.1, maxDelay: 1)
        for attempt in 1...8 { #expect(p.delay(after: attempt) <= min(1, 0.1 * pow(2, Double(attempt - 1)))) }
    }
}
