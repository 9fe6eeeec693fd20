import Foundation
import RikerAWS
import RikerCore
import RikerTestSupport
import Testing

@Suite struct CredentialChainTests {
    @Test func environmentVariablesComeFirst() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        try "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n".write(to: dir.path("credentials"), atomically: true, encoding: .utf8)
        let chain = AWSCredentialChain(environment: ["AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok",
                                                     "AWS_SHARED_CREDENTIALS_FILE": dir.path("credentials").path])
        let c = try await chain.credentials()
        #expect(c == AWSCredentials(accessKeyId: "AKENV", secretAccessKey: "secret", sessionToken: "tok"))
        #expect(!"\(c)".contains("secret"))
    }

    @Test func profileFromCredentialsAndConfigFiles() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        try """
            [default]
            aws_access_key_id = AKDEFAULT
            aws_secret_access_key = d
            # a comment
            [deploy]
            aws_access_key_id = AKDEPLOY
            aws_secret_access_key = deploy-secret
            """.write(to: dir.path("credentials"), atomically: true, encoding: .utf8)
        try "[profile deploy]\nregion = eu-west-2\n[default]\nregion = us-west-1\n".write(to: dir.path("config"), atomically: true, encoding: .utf8)
        let env = ["AWS_PROFILE": "deploy", "AWS_SHARED_CREDENTIALS_FILE": dir.path("credentials").path, "AWS_CONFIG_FILE": dir.path("config").path,
                   "AWS_EC2_METADATA_DISABLED": "true"]
        #expect(try await AWSCredentialChain(environment: env).credentials().accessKeyId == "AKDEPLOY")
        #expect(AWSEnvironment.region(env) == "eu-west-2")
        var withRegion = env
        withRegion["AWS_DEFAULT_REGION"] = "ap-south-1"
        #expect(AWSEnvironment.region(withRegion) == "ap-south-1")
        withRegion["AWS_REGION"] = "sa-east-1"
        #expect(AWSEnvironment.region(withRegion) == "sa-east-1")
    }

    @Test func noCredentialsAnywhereIsAClearError() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let env = ["HOME": dir.url.path, "AWS_EC2_METADATA_DISABLED": "true"]
        await #expect { _ = try await AWSCredentialChain(environment: env).credentials() } throws: { e in
            (e as? RikerError)?.code == .permissionDenied && (e as! RikerError).message.contains("AWS_ACCESS_KEY_ID")
        }
    }

    @Test func instanceRoleOverIMDSv2IsUsedAndRefreshedBeforeExpiry() async throws {
        let imds = try FakeIMDS()
        let dir = try TempDir(); defer { dir.remove() }
        let env = ["HOME": dir.url.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint]
        // The fake hands out credentials that expire in 2 minutes, inside the 5-minute refresh margin.
        let chain = AWSCredentialChain(environment: env)
        let first = try await chain.credentials()
        #expect(first.accessKeyId == "ASIAROLE1")
        #expect(first.sessionToken == "role-token")
        #expect(first.expiration != nil)
        let second = try await chain.credentials()
        #expect(second.accessKeyId == "ASIAROLE2", "credentials about to expire are fetched again")
    }

    @Test func imdsWithoutTheSessionTokenIsRefused() async throws {
        let imds = try FakeIMDS()
        let dir = try TempDir(); defer { dir.remove() }
        let env = ["HOME": dir.url.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint + "/notoken"]
        await #expect(throws: RikerError.self) { _ = try await AWSCredentialChain(environment: env).credentials() }
    }

    @Test func endpointOverridesPreferTheServiceSpecificOne() {
        #expect(AWSEnvironment.endpoint(service: "s3", ["AWS_ENDPOINT_URL": "http://a"]) == "http://a")
        #expect(AWSEnvironment.endpoint(service: "s3", ["AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_S3": "http://b"]) == "http://b")
        #expect(AWSEnvironment.endpoint(service: "s3", [:]) == nil)
    }
}
