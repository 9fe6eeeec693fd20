import Foundation

/// A log drain address: `syslog+tcp://HOST:PORT` or `syslog+tls://HOST:PORT` (the value of
/// the `logs.drain` app setting). HOST is a name, an IPv4 address or a bracketed IPv6 address.
public struct DrainURL: Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable { case tcp, tls }

    public var transport: Transport
    public var host: String
    public var port: Int

    public init(transport: Transport, host: String, port: Int) { self.transport = transport; self.host = host; self.port = port }

    /// Parses a drain URL. Throws `.invalidInput` with one line saying what is wrong and the
    /// form to use.
    public init(parsing text: String) throws {
        let usage = "use syslog+tcp://HOST:PORT or syslog+tls://HOST:PORT"
        func bad(_ why: String) -> RikerError { RikerError(.invalidInput, "invalid log drain '\(text.prefix(200))': \(why); \(usage)") }
        guard let sep = text.range(of: "://") else { throw bad("no scheme") }
        switch text[..<sep.lowerBound].lowercased() {
        case "syslog+tcp", "syslog": transport = .tcp
        case "syslog+tls": transport = .tls
        default: throw bad("unsupported scheme '\(text[..<sep.lowerBound])'")
        }
        var rest = text[sep.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else {
            throw bad("only HOST:PORT may follow the scheme")
        }
        let hostPart: Substring
        let portPart: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { throw bad("no port") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            portPart = rest[rest.index(close, offsetBy: 2)...]
            guard hostPart.contains(":"), hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { throw bad("bad IPv6 address") }
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw bad("no port") }
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-."))
            guard !hostPart.isEmpty, hostPart.count <= 253, hostPart.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }),
                  !hostPart.hasPrefix("-"), !hostPart.hasPrefix(".") else { throw bad("bad host '\(hostPart.prefix(80))'") }
        }
        guard let port = Int(portPart), (1...65535).contains(port) else { throw bad("the port must be a number from 1 to 65535") }
        host = String(hostPart)
        self.port = port
    }

    public var description: String {
        "syslog+\(transport.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
