import Foundation
import HTTPTypes
import Hummingbird

/// Reading a delivery's body: bounded, and unwrapped from its content type.
enum WebhookBody {
    /// GitHub caps payloads at 25 MB; nothing larger is a real delivery.
    static let maxSize = 25 * 1024 * 1024

    /// The whole body, or nil as soon as it grows past `limit` (the rest is not read).
    static func collect(_ body: RequestBody, limit: Int) async throws -> [UInt8]? {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else { return nil }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// The JSON document of a delivery: the body itself (`application/json`), or its
    /// `payload` field (`application/x-www-form-urlencoded`, GitHub's API default).
    static func json(from body: [UInt8], contentType: String?) throws -> Data {
        let type = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json":
            return Data(body)
        case "application/x-www-form-urlencoded":
            guard let payload = formField("payload", in: body) else {
                throw APIError(.badRequest, "form-encoded delivery without a payload field")
            }
            return Data(payload.utf8)
        default:
            throw APIError(.unsupportedMediaType, "content type '\(type.prefix(60))' is not accepted: set the webhook's content type to application/json (or form)")
        }
    }

    /// The decoded value of `name` in a form-encoded body (`+` is a space, `%XX` a byte).
    static func formField(_ name: String, in body: [UInt8]) -> String? {
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecode(parts[0]), key == name else { continue }
            return parts.count > 1 ? percentDecode(parts[1]) : ""
        }
        return nil
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if c == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex,
                      let v = WebhookSignature.hexBytes(Substring(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self))?.first else { return nil }
                out.append(v)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }
}
