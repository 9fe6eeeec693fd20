import Foundation
import Hummingbird
import NIOCore

/// Reads a request's JSON body into `T`: at most 64 KiB; an empty body decodes as `{}`.
/// Anything that is not that JSON is a 400 saying what was wrong.
enum APIBody {
    static let limit = 64 * 1024

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, example: String) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "the request body is over \(limit / 1024) KiB: send a small JSON object like \(example)", closeConnection: true)
        }
        var data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { data = Data("{}".utf8) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c) {
            throw APIError(.badRequest, "malformed JSON body: '\(Self.path(c))' has the wrong type; expected e.g. \(example)")
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError(.badRequest, "malformed JSON body: '\(key.stringValue)' is missing; expected e.g. \(example)")
        } catch {
            throw APIError(.badRequest, "malformed JSON body: expected a JSON object like \(example)")
        }
    }

    static func path(_ c: DecodingError.Context) -> String {
        c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
