import Crypto
import Foundation

/// One API token as stored: its name, the SHA-256 of the secret (never the secret itself),
/// the apps it may act on and whether it may only read.
public struct APIToken: Codable, Sendable, Equatable {
    public var name: String
    /// Lowercase hex SHA-256 of the token's text.
    public var sha256: String
    /// Apps the token may read (and change, unless `readOnly`); empty: every app.
    public var apps: [String]
    public var readOnly: Bool
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case name, sha256, apps
        case readOnly = "read_only"
        case createdAt = "created_at"
    }

    /// Whether this token may act on `app` at all.
    public func covers(_ app: String) -> Bool { apps.isEmpty || apps.contains(app) }

    /// Lowercase hex SHA-256 of a presented token.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new secret: `riker_` and 64 hex digits from 32 random bytes.
    static func makeSecret() -> String {
        let key = SymmetricKey(size: .bits256)
        return "riker_" + key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// Compares two equal-length hex digests without an early exit.
    static func digestsEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
