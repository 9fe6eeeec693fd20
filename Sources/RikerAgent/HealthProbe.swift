import Foundation
import RikerCore
import RikerHTTP

/// Asks a web process whether it is up: one HTTP GET, answered or not.
protocol HealthProbe: Sendable {
    /// The HTTP status `url` answered with; throws when nothing answered within `timeout` seconds.
    func status(of url: String, timeout: Double) throws -> Int
}

/// The probe on RikerHTTP's libcurl client.
struct CurlHealthProbe: HealthProbe {
    func status(of url: String, timeout: Double) throws -> Int {
        try HTTPClient.get(url, timeout: timeout).status
    }
}

/// A dependency-free probe: TCP connect to 127.0.0.1 and a minimal HTTP/1.0 GET.
/// Used while the libcurl client is not available, and by the tests.
struct SocketHealthProbe: HealthProbe {
    func status(of url: String, timeout: Double) throws -> Int {
        try SocketHTTP.get(url, timeout: timeout).status
    }
}

/// The health probe the agent uses: libcurl's when it works, the socket one otherwise.
enum DefaultHealthProbe {
    static func make() -> any HealthProbe {
        // RikerHTTP's client is being written in parallel: until it answers, use the socket probe.
        do { _ = try HTTPClient.get("http://127.0.0.1:1/", timeout: 0.5) } catch {
            if error.userMessage.contains("not implemented") { return SocketHealthProbe() }
        }
        return CurlHealthProbe()
    }
}

/// Blocking HTTP/1.0 GET over a plain socket, for `http://HOST:PORT/PATH` URLs with a numeric IPv4 host.
enum SocketHTTP {
    struct Response { var status: Int; var body: Data }

    static func get(_ url: String, timeout: Double) throws -> Response {
        guard let parsed = parse(url) else { throw RikerError(.invalidInput, "cannot probe '\(url)': expected http://IPv4:PORT/PATH") }
        let deadline = Date().addingTimeInterval(timeout)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RikerError(.http, "cannot create a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(parsed.port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(parsed.host)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 && errno != EINPROGRESS { throw failure(url, errno) }
        try wait(fd, for: Int16(POLLOUT), until: deadline, url: url)
        var soError: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
        if soError != 0 { throw failure(url, soError) }

        let request = Array("GET \(parsed.path) HTTP/1.0\r\nHost: \(parsed.host):\(parsed.port)\r\nUser-Agent: riker-agent\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline, url: url)
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; throw failure(url, errno) }
            sent += n
        }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            try wait(fd, for: Int16(POLLIN), until: deadline, url: url)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; throw failure(url, errno) }
            received.append(contentsOf: buffer[0..<n])
        }
        // "HTTP/1.x NNN reason\r\n…\r\n\r\nbody"
        let text = String(decoding: received.prefix(64), as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1].prefix(3)) else {
            throw RikerError(.http, "\(url) answered something that is not HTTP")
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var bodyStart = received.count
        if received.count >= 4 {
            for i in 0...(received.count - 4) where Array(received[i..<i + 4]) == separator { bodyStart = i + 4; break }
        }
        return Response(status: status, body: Data(received[bodyStart...]))
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: Date, url: String) throws {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw RikerError(.timeout, "\(url) did not answer in time") }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&pfd, 1, Int32(max(1, left * 1000)))
            if r > 0 { return }
            if r < 0 && errno != EINTR { throw failure(url, errno) }
        }
    }

    private static func failure(_ url: String, _ err: Int32) -> RikerError {
        RikerError(.http, "cannot reach \(url): \(String(cString: strerror(err)))")
    }

    static func parse(_ url: String) -> (host: String, port: Int, path: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)
        let pieces = hostPort.split(separator: ":")
        guard pieces.count == 2, let port = Int(pieces[1]), port > 0, port < 65536 else { return nil }
        return (String(pieces[0]), port, path.isEmpty ? "/" : String(path))
    }
}
