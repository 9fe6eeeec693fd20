import CCurl
import Foundation
import RikerCore

/// One libcurl easy handle. Requests made through the same connection reuse its open
/// (keep-alive) connections. Not thread-safe: use it from one thread at a time
/// (`HTTPConnectionPool` hands them out to concurrent tasks).
///
/// Failures to talk to the server at all (refused, reset, timed out, DNS) throw
/// `RikerError(.http, "METHOD URL: libcurl's message")`; any HTTP status is a result, not an error.
/// A failure reading the request body or writing the response file throws `.io`.
public final class HTTPConnection {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    /// The header list the handle points at during a transfer; kept alive until the next one.
    private var headerList: UnsafeMutablePointer<curl_slist>?

    public init() throws {
        try CurlGlobal.ensure()
        guard let h = curl_easy_init() else { throw RikerError(.http, "cannot create a libcurl handle") }
        handle = h
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Sends `request` and waits for the whole response (blocking the calling thread).
    public func perform(_ request: HTTPRequest, into sink: HTTPResponseSink = .memory) throws -> HTTPResponse {
        let what = "\(request.method) \(Self.redacted(request.url))"
        guard let scheme = request.url.split(separator: ":").first, scheme == "http" || scheme == "https" else {
            throw RikerError(.invalidInput, "\(what): only http:// and https:// URLs are supported")
        }
        let transfer = try Transfer(body: request.body, sink: sink)
        curl_easy_reset(handle)  // keeps the connection cache
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer[0] = 0

        let userdata = Unmanaged.passUnretained(transfer).toOpaque()
        try configure(request, userdata: userdata)
        let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }

        if let local = transfer.localError { throw local }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL {
                throw RikerError(.invalidInput, "\(what): \(message)")
            }
            throw RikerError(.http, "\(what): \(message)")
        }
        var status = 0
        _ = riker_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        transfer.status = status
        try transfer.finish()
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)
    }

    private func configure(_ request: HTTPRequest, userdata: UnsafeMutableRawPointer) throws {
        func set(_ option: CURLoption, _ value: Int) throws { try check(riker_curl_setopt_long(handle, option, value), option) }
        try check(riker_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), CURLOPT_ERRORBUFFER)
        try check(riker_curl_setopt_string(handle, CURLOPT_URL, request.url), CURLOPT_URL)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TCP_NODELAY, 1)
        try set(CURLOPT_BUFFERSIZE, 256 << 10)
        try set(CURLOPT_UPLOAD_BUFFERSIZE, 256 << 10)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        if let t = request.timeout { try set(CURLOPT_TIMEOUT_MS, Int(t * 1000)) }
        if let low = request.lowSpeedLimit {
            try set(CURLOPT_LOW_SPEED_LIMIT, low.bytesPerSecond)
            try set(CURLOPT_LOW_SPEED_TIME, low.seconds)
        }

        let method = request.method.uppercased()
        let sendsBody: Bool
        switch request.body { case .none: sendsBody = ["PUT", "POST", "PATCH"].contains(method); default: sendsBody = true }
        if method == "HEAD" {
            try set(CURLOPT_NOBODY, 1)
        } else if sendsBody {
            try set(CURLOPT_UPLOAD, 1)
            try check(riker_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)), CURLOPT_INFILESIZE_LARGE)
            try check(riker_curl_setopt_data_cb(handle, CURLOPT_READFUNCTION, curlReadCallback), CURLOPT_READFUNCTION)
            try check(riker_curl_setopt_pointer(handle, CURLOPT_READDATA, userdata), CURLOPT_READDATA)
            try check(riker_curl_setopt_seek_cb(handle, CURLOPT_SEEKFUNCTION, curlSeekCallback), CURLOPT_SEEKFUNCTION)
            try check(riker_curl_setopt_pointer(handle, CURLOPT_SEEKDATA, userdata), CURLOPT_SEEKDATA)
            if method != "PUT" { try check(riker_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), CURLOPT_CUSTOMREQUEST) }
        } else if method != "GET" {
            try check(riker_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), CURLOPT_CUSTOMREQUEST)
        }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            // "Name;" sends a header with an empty value; "Name:" would remove it.
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if request.headers.keys.first(where: { $0.lowercased() == "expect" }) == nil {
            list = curl_slist_append(list, "Expect:")
        }
        headerList = list
        try check(riker_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), CURLOPT_HTTPHEADER)

        try check(riker_curl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback), CURLOPT_HEADERFUNCTION)
        try check(riker_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, userdata), CURLOPT_HEADERDATA)
        try check(riker_curl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback), CURLOPT_WRITEFUNCTION)
        try check(riker_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, userdata), CURLOPT_WRITEDATA)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw RikerError(.http, "libcurl refused option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    /// The URL without its query string (which may carry a presigned signature).
    static func redacted(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return String(url[..<q])
    }
}
