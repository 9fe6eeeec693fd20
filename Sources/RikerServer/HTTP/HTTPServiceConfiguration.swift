import Foundation
import RikerCore

/// Where `riker serve` listens for HTTP and whether it speaks TLS.
///
/// `--listen HOST:PORT` (default `127.0.0.1:5050`; port 0 picks a free one), and optionally
/// `--tls-cert FILE --tls-key FILE` (PEM) to serve HTTPS instead of HTTP.
public struct HTTPServiceConfiguration: Sendable, Equatable {
    public static let defaultListen = "127.0.0.1:5050"

    public var host: String
    public var port: Int
    /// PEM certificate chain; with `tlsKey`, the service speaks HTTPS.
    public var tlsCertificate: URL?
    /// PEM private key of `tlsCertificate`.
    public var tlsKey: URL?
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeout: Int = 60

    public init(host: String = "127.0.0.1", port: Int = 5050, tlsCertificate: URL? = nil, tlsKey: URL? = nil) {
        self.host = host; self.port = port; self.tlsCertificate = tlsCertificate; self.tlsKey = tlsKey
    }

    /// Reads the command-line form. Throws `.invalidInput` with what a valid value looks like.
    public init(listen: String?, tlsCertificate: String? = nil, tlsKey: String? = nil) throws {
        let (host, port) = try Self.parseListen(listen ?? Self.defaultListen)
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw RikerError(.invalidInput, "--tls-cert and --tls-key go together: give both files (PEM) or neither")
        }
        self.init(host: host, port: port,
                  tlsCertificate: tlsCertificate.map { URL(fileURLWithPath: $0) },
                  tlsKey: tlsKey.map { URL(fileURLWithPath: $0) })
    }

    /// `HOST:PORT`, `:PORT` (all interfaces) or `[V6]:PORT`.
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        let bad = RikerError(.invalidInput, "--listen '\(text.prefix(80))' is not HOST:PORT (e.g. 127.0.0.1:5050 or :5050)")
        guard let colon = text.lastIndex(of: ":") else { throw bad }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { throw bad }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        guard !host.contains(where: { $0 == " " || $0 == "/" }) else { throw bad }
        return (host, port)
    }

    /// True when the service serves HTTPS.
    public var usesTLS: Bool { tlsCertificate != nil && tlsKey != nil }
}
