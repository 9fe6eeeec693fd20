import Foundation
import RikerAWS
import RikerTestSupport

extension AWSFixture {
    /// A fixture on the shared moto_server.
    init() throws { self.init(moto: try MotoServer.shared()) }

    /// A query client for `service` pointed at `endpoint` (moto unless given) with moto's key,
    /// retrying quickly.
    func client(_ service: AWSQueryService, endpoint: String? = nil,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05)) -> AWSQueryClient {
        AWSQueryClient(service: service, region: moto.region, endpoint: endpoint ?? moto.endpoint,
                       credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey)),
                       retry: retry)
    }
}
