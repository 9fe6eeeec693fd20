import Crypto
import Foundation

/// AWS Signature Version 4 for request headers.
///
/// Riker signs requests itself rather than with libcurl's `CURLOPT_AWS_SIGV4`: libcurl 7.88
/// neither sends nor signs `x-amz-content-sha256` for streamed uploads (S3 requires it), and
/// signing here keeps one implementation, checked against AWS's published example, for S3
/// and the query APIs alike.
public struct SigV4Signer: Sendable {
    public let region: String
    public let service: String

    public init(region: String, service: String) { self.region = region; self.service = service }

    /// The SHA-256 of an empty body, for requests without one.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Adds `Authorization`, `X-Amz-Date`, `X-Amz-Content-SHA256` (and `X-Amz-Security-Token`)
    /// to `headers` for a request to `url`. `payloadHash` is the hex SHA-256 of the body or
    /// `UNSIGNED-PAYLOAD`. Signed: host, content-type, content-md5 and every x-amz-* header.
    /// `slashInQuery` leaves `/` unencoded in the canonical query: not AWS's rule, but what some
    /// S3-compatible servers (moto) compute after decoding the query.
    public func sign(method: String, url: URL, headers: inout [String: String], payloadHash: String,
                     credentials: AWSCredentials, date: Date = Date(), slashInQuery: Bool = false) {
        let (amzDate, day) = Self.timestamps(date)
        headers["X-Amz-Date"] = amzDate
        headers["X-Amz-Content-SHA256"] = payloadHash
        if let token = credentials.sessionToken { headers["X-Amz-Security-Token"] = token }

        var host = url.host ?? ""
        if let port = url.port, !(url.scheme == "http" && port == 80) && !(url.scheme == "https" && port == 443) { host += ":\(port)" }
        var canon: [String: String] = ["host": host]
        for (k, v) in headers {
            let name = k.lowercased()
            if name.hasPrefix("x-amz-") || name == "content-type" || name == "content-md5" {
                canon[name] = v.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            }
        }
        let names = canon.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            method.uppercased(),
            Self.canonicalPath(url),
            Self.canonicalQuery(url, keepSlash: slashInQuery),
            names.map { "\($0):\(canon[$0]!)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
        let key = signingKey(secret: credentials.secretAccessKey, day: day)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    func signingKey(secret: String, day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ s: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(s.utf8), using: key)))
        }
        var k = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in [day, region, service, "aws4_request"] { k = hmac(k, part) }
        return k
    }

    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }

    /// The URL's path as sent (already percent-encoded by `AWSURI.encode`), "/" if empty.
    static func canonicalPath(_ url: URL) -> String {
        let p = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        return p.isEmpty ? "/" : p
    }

    /// Query parameters decoded, re-encoded strictly, sorted by name then value.
    static func canonicalQuery(_ url: URL, keepSlash: Bool = false) -> String {
        guard let q = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery, !q.isEmpty else { return "" }
        let pairs: [(String, String)] = q.split(separator: "&").map { item in
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = String(kv[0]).removingPercentEncoding ?? String(kv[0])
            let v = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
            return (AWSURI.encode(k, keepSlash: keepSlash), AWSURI.encode(v, keepSlash: keepSlash))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// URI encoding as SigV4 and S3 want it: everything but `A–Z a–z 0–9 - _ . ~` is `%XX`.
public enum AWSURI {
    /// Encodes `s`; with `keepSlash`, `/` stays (for object keys in paths).
    public static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// `a=1&b=2` with both sides encoded.
    public static func query(_ items: [(String, String)]) -> String {
        items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
