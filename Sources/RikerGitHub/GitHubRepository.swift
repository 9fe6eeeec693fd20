import Foundation
import RikerCore

/// A repository on GitHub (or GitHub Enterprise): its host, owner and name, read from any
/// URL git accepts for it (`webhook.repo`).
public struct GitHubRepository: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var owner: String
    public var name: String

    public init(host: String = "github.com", owner: String, name: String) {
        self.host = host.lowercased(); self.owner = owner; self.name = name
    }

    /// Reads `https://github.com/OWNER/REPO(.git)`, `http://…`, `git://…`,
    /// `ssh://git@github.com[:22]/OWNER/REPO.git` and `git@github.com:OWNER/REPO.git`.
    /// Credentials in the URL are ignored. Throws `.invalidInput` for anything else.
    public init(url: String) throws {
        let bad = RikerError(.invalidInput, "'\(Self.redacted(url))' is not a GitHub repository URL (https://HOST/OWNER/REPO or git@HOST:OWNER/REPO.git)")
        var host: Substring
        var path: Substring
        if let scheme = url.range(of: "://") {
            guard ["https", "http", "ssh", "git", "git+ssh", "ssh+git"].contains(url[..<scheme.lowerBound].lowercased()) else { throw bad }
            let rest = url[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            host = rest[..<slash]
            path = rest[slash...]
            if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                host = host[host.index(after: host.startIndex)..<close]
            } else if let colon = host.lastIndex(of: ":") {
                host = host[..<colon]
            }
        } else if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") {
            // scp-like: [user@]host:path
            host = url[..<colon]
            if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
            path = url[url.index(after: colon)...]
        } else {
            throw bad
        }
        var parts = path.split(separator: "/").map(String.init)
        if parts.last?.hasSuffix(".git") == true { parts[parts.count - 1].removeLast(4) }
        guard !host.isEmpty, parts.count == 2, parts.allSatisfy({ Self.isName($0) }) else { throw bad }
        self.init(host: String(host), owner: parts[0], name: parts[1])
    }

    /// `OWNER/REPO`
    public var description: String { "\(owner)/\(name)" }

    /// The REST API base for this host: `https://api.github.com` for github.com, else
    /// GitHub Enterprise Server's `https://HOST/api/v3`.
    public var defaultAPIBase: String {
        host == "github.com" || host == "www.github.com" ? "https://api.github.com" : "https://\(host)/api/v3"
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s != "." && s != ".." && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// `url` without a `user:password@` part.
    static func redacted(_ url: String) -> String {
        url.replacingOccurrences(of: #"://[^/@\s]+@"#, with: "://***@", options: .regularExpression)
    }
}
