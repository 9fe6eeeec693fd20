import Foundation

/// What a request sends as its body.
public enum HTTPBody: Sendable {
    /// No body (GET, HEAD, DELETE); a PUT or POST without a body sends `Content-Length: 0`.
    case none
    /// Bytes held in memory.
    case data(Data)
    /// `length` bytes of `file` starting at `offset`, read from disk as they are sent
    /// (one multipart part of a large artifact never sits in memory whole).
    case file(URL, offset: Int64 = 0, length: Int64)

    /// The number of bytes the body sends.
    public var count: Int64 {
        switch self {
        case .none: return 0
        case .data(let d): return Int64(d.count)
        case .file(_, _, let length): return length
        }
    }
}

/// Where a response body goes.
public enum HTTPResponseSink {
    /// Collected into `HTTPResponse.body`.
    case memory
    /// Streamed into `file` (created or truncated on the first byte of a 2xx body). `observe`
    /// sees every chunk as it is written, e.g. to hash it. A non-2xx body goes to
    /// `HTTPResponse.body` instead, so an error document never lands in the file.
    case file(URL, observe: ((UnsafeRawBufferPointer) -> Void)? = nil)
}

/// One HTTP request: method, URL, headers, body and time limits.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent as given; libcurl adds `Host` and `Content-Length`. `Expect: 100-continue` is off.
    public var headers: [String: String]
    public var body: HTTPBody
    /// Limit on the whole transfer, in seconds (nil: none; use `lowSpeedLimit` for big transfers).
    public var timeout: Double?
    /// Limit on establishing the connection, in seconds.
    public var connectTimeout: Double
    /// Abort when fewer than `bytesPerSecond` flow for `seconds` (a stalled peer).
    public var lowSpeedLimit: (bytesPerSecond: Int, seconds: Int)?

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: HTTPBody = .none,
                timeout: Double? = 30, connectTimeout: Double = 10, lowSpeedLimit: (bytesPerSecond: Int, seconds: Int)? = nil) {
        self.method = method; self.url = url; self.headers = headers; self.body = body
        self.timeout = timeout; self.connectTimeout = connectTimeout; self.lowSpeedLimit = lowSpeedLimit
    }
}

/// A response: status, headers and (for the memory sink, or a non-2xx status) the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased; of repeated headers the last one wins.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status; self.headers = headers; self.body = body
    }

    /// True for 200…299.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
