import Crypto
import Foundation

/// GitHub's `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body,
/// keyed with the webhook secret.
public enum WebhookSignature {
    /// True when `header` is a valid signature of `body` under `secret`. The comparison takes
    /// the same time wherever the codes differ; a malformed header is simply not valid.
    public static func isValid(_ header: String?, body: some DataProtocol, secret: some DataProtocol) -> Bool {
        guard let header, header.hasPrefix("sha256="), let code = hexBytes(header.dropFirst(7)), code.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: Array(secret)))
    }

    /// The header value GitHub would send for `body` (tests and tools that sign deliveries).
    public static func sign(body: some DataProtocol, secret: some DataProtocol) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}
