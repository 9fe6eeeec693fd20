import Crypto
import Foundation

extension ContentDigest {
    /// The digest of `data` (a manifest, a memo key's inputs).
    public static func of(_ data: Data) -> ContentDigest {
        ContentDigest(hex: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())!
    }
}
