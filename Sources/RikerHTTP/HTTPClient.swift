import Foundation
import RikerCore

/// One-shot HTTP calls on libcurl, for callers that make a request now and then
/// (health checks, downloads). Code that makes many requests should keep an
/// `HTTPConnectionPool` (or an `HTTPConnection`) to reuse connections.
public enum HTTPClient {
    /// GET `url`; `timeout` covers the whole transfer. Throws `.http` on connection failure
    /// (refused, reset, timed out); any HTTP status is returned, not thrown.
    public static func get(_ url: String, headers: [String: String] = [:], timeout: Double = 10) throws -> HTTPResponse {
        try HTTPConnection().perform(HTTPRequest(url: url, headers: headers, timeout: timeout, connectTimeout: min(timeout, 10)))
    }

    /// Streams the body of GET `url` into `file`; throws `.http` unless the status is 2xx
    /// (the file is then left untouched).
    public static func download(_ url: String, to file: URL, timeout: Double = 600) throws {
        let response = try HTTPConnection().perform(HTTPRequest(url: url, timeout: timeout, connectTimeout: min(timeout, 10)), into: .file(file))
        guard response.isSuccess else {
            throw RikerError(.http, "GET \(HTTPConnection.redacted(url)): HTTP \(response.status)\(snippet(response.body))")
        }
    }

    /// Sends any request with a fresh connection (blocking).
    public static func perform(_ request: HTTPRequest, into sink: HTTPResponseSink = .memory) throws -> HTTPResponse {
        try HTTPConnection().perform(request, into: sink)
    }

    /// The first line of an error body, for messages (": text"), or "".
    static func snippet(_ body: Data) -> String {
        let line = String(decoding: body.prefix(200), as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? "" : ": \(line)"
    }
}
