import Foundation
import RikerAWS
import Testing

/// AWS's published SigV4 examples for S3 (the "examplebucket" requests of the
/// Authenticating Requests: Using the Authorization Header documentation).
@Suite struct SigV4Tests {
    let creds = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    let signer = SigV4Signer(region: "us-east-1", service: "s3")

    func signature(_ url: String) -> String? {
        var headers: [String: String] = [:]
        signer.sign(method: "GET", url: URL(string: url)!, headers: &headers, payloadHash: SigV4Signer.emptyPayloadHash, credentials: creds, date: date)
        #expect(headers["X-Amz-Date"] == "20130524T000000Z")
        #expect(headers["X-Amz-Content-SHA256"] == SigV4Signer.emptyPayloadHash)
        return headers["Authorization"]?.components(separatedBy: "Signature=").last
    }

    @Test func signsASubresourceRequestLikeAWSExample() {
        #expect(signature("https://examplebucket.s3.amazonaws.com/?lifecycle") == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func signsAListRequestWithSortedQueryLikeAWSExample() {
        #expect(signature("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J") == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func authorizationNamesTheScopeAndSignedHeadersButNotTheSecret() {
        var headers: [String: String] = ["x-amz-meta-sha256": "abc", "If-None-Match": "*"]
        signer.sign(method: "PUT", url: URL(string: "http://127.0.0.1:9000/b/k")!, headers: &headers, payloadHash: "UNSIGNED-PAYLOAD",
                    credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN"), date: date)
        let auth = headers["Authorization"] ?? ""
        #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-sha256;x-amz-security-token, Signature="))
        #expect(!auth.contains("SECRET"))
        #expect(headers["X-Amz-Security-Token"] == "TOKEN")
    }

    @Test func uriEncodingKeepsOnlyUnreservedCharacters() {
        #expect(AWSURI.encode("apps/web/slugs/a b+c~_.-é", keepSlash: true) == "apps/web/slugs/a%20b%2Bc~_.-%C3%A9")
        #expect(AWSURI.encode("a/b") == "a%2Fb")
    }
}
