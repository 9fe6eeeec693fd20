import Foundation
import RikerCore

/// An AWS access key (and session token for temporary credentials).
///
/// `description` never shows the secret or the token.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working (nil: they do not expire).
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId; self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken; self.expiration = expiration
    }

    public var description: String { "AWS access key \(accessKeyId)" }
}

/// Something that hands out credentials (refreshing them as needed).
public protocol AWSCredentialProvider: Sendable {
    /// Current credentials; throws `.permissionDenied` when there are none to be had.
    func credentials() async throws -> AWSCredentials
}

/// Always the same credentials.
public struct StaticCredentialProvider: AWSCredentialProvider {
    public let value: AWSCredentials
    public init(_ value: AWSCredentials) { self.value = value }
    public func credentials() async throws -> AWSCredentials { value }
}
