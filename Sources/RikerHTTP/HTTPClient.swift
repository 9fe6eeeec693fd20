import CCurl
import Foundation
import RikerCore

// CONTRACT (filled in by the RikerHTTP work): signatures other modules rely on.

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
}

/// A blocking HTTP client on libcurl (one easy handle per request).
public enum HTTPClient {
    /// GET `url`; `timeout` covers the whole transfer. Throws `.http` on connection failure.
    public static func get(_ url: String, headers: [String: String] = [:], timeout: Double = 10) throws -> HTTPResponse {
        throw RikerError(.http, "not implemented")
    }

    /// Streams the body of GET `url` into `file`; throws unless the status is 2xx.
    public static func download(_ url: String, to file: URL, timeout: Double = 600) throws {
        throw RikerError(.http, "not implemented")
    }
}
