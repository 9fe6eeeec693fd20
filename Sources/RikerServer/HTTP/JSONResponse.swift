import Foundation
import HTTPTypes
import Hummingbird

/// Every answer of `riker serve` is JSON: one compact encoder for all of them.
public enum JSONResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    /// `value` as a JSON response with `status`.
    public static func make(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        var data = (try? encoder.encode(value)) ?? Data(#"{"error":"cannot encode the answer"}"#.utf8)
        data.append(0x0a)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A refusal with a status and one line saying what was wrong and what to do, answered as
/// `{"error": "…"}`. `closeConnection` asks for the connection to be closed after the answer,
/// for refusals made before the request body was read (so it is not read at all).
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var closeConnection: Bool

    public init(_ status: HTTPResponse.Status, _ message: String, closeConnection: Bool = false) {
        self.status = status; self.message = message; self.closeConnection = closeConnection
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status, ["error": message], headers: closeConnection ? [.connection: "close"] : [:])
    }
}
