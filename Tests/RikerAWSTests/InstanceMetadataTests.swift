import Foundation
import RikerCore
import RikerHTTP
import Testing
import RikerAWS
import RikerTestSupport

/// The instance id over IMDSv2, against a real HTTP server on 127.0.0.1 that insists on the token.
struct InstanceMetadataTests {
    @Test func readsTheInstanceIDWithASessionToken() async throws {
        let imds = try FakeIMDS(instanceID: "i-0abc123def4567890")
        let metadata = InstanceMetadata(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint + "/"])
        #expect(metadata.endpoint == imds.endpoint)
        #expect(try await metadata.instanceID() == "i-0abc123def4567890")
        #expect(imds.requests == [
            "PUT /latest/api/token ttl=21600 token=missing",
            "GET /latest/meta-data/instance-id ttl=- token=ok",
        ])
        // The fake really refuses a read without the token, so the agent must have sent it.
        #expect(try HTTPClient.get(imds.endpoint + "/latest/meta-data/instance-id").status == 401)
    }

    @Test func unreachableIMDSSaysToPassTheInstanceID() async throws {
        let endpoint = deadIMDSEndpoint()
        var metadata = InstanceMetadata(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint])
        metadata.retryDelay = 0.01
        let error = try await #require(throws: RikerError.self) { try await metadata.instanceID() }
        #expect(error.message.hasPrefix("cannot read the instance id from IMDSv2 at \(endpoint) ("))
        #expect(error.message.hasSuffix("): pass --instance-id"))
        #expect(!error.message.contains("\n"))
    }

    @Test func disabledIMDSIsNotAsked() async throws {
        let imds = try FakeIMDS()
        let metadata = InstanceMetadata(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint, "AWS_EC2_METADATA_DISABLED": "true"])
        let error = try await #require(throws: RikerError.self) { try await metadata.instanceID() }
        #expect(error.message.contains("AWS_EC2_METADATA_DISABLED is true"))
        #expect(imds.requests.isEmpty)
    }

    @Test func theDefaultEndpointIsTheLinkLocalAddress() {
        #expect(InstanceMetadata(environment: [:]).endpoint == "http://169.254.169.254")
    }
}
