import Foundation
import RikerCore

/// SSH host keys pinned for fetching, read from `known_hosts`-style lines:
/// `[host[,host…]] KEYTYPE BASE64 [comment]`. A line without hosts applies to any host;
/// hosts may be `name`, `[name]:port` (the port is not checked: libgit2 reports the host only)
/// or a pattern with `*` and `?`. Hashed (`|1|…`), negated and `@`-marker lines are skipped.
public struct SSHKnownHosts: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Host patterns (lowercased); empty means any host.
        public var hosts: [String]
        public var keyType: String
        /// The key blob in SSH wire form (what the base64 field decodes to).
        public var key: Data
    }

    public private(set) var entries: [Entry] = []

    /// Reads `lines`; blank lines and `#` comments are skipped. Throws `.invalidInput`
    /// naming the line when one is not a host key line.
    public init(lines: [String]) throws {
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("@") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let hasHosts = fields.first.map { !Self.isKeyType($0) } ?? false
            let rest = hasHosts ? Array(fields.dropFirst()) : fields
            guard rest.count >= 2, Self.isKeyType(rest[0]), let blob = Data(base64Encoded: rest[1]),
                  Self.blobType(blob) == rest[0] else {
                throw RikerError(.invalidInput, "ssh host key line \(number + 1) is not 'HOST KEYTYPE BASE64' (e.g. 'github.com ssh-ed25519 AAAA…')")
            }
            let hosts = hasHosts ? fields[0].lowercased().split(separator: ",").map(String.init) : []
            if hosts.contains(where: { $0.hasPrefix("|") || $0.hasPrefix("!") }) { continue }
            entries.append(Entry(hosts: hosts, keyType: rest[0], key: blob))
        }
    }

    /// True when `key` (wire form) is pinned for `host`.
    public func accepts(host: String, key: Data) -> Bool {
        entries.contains { entry in entry.key == key && (entry.hosts.isEmpty || entry.hosts.contains { Self.matches(host.lowercased(), $0) }) }
    }

    static func isKeyType(_ s: String) -> Bool {
        s.hasPrefix("ssh-") || s.hasPrefix("ecdsa-sha2-") || s.hasPrefix("sk-")
    }

    /// The key type named at the start of a wire-form key blob.
    static func blobType(_ blob: Data) -> String? {
        let bytes = [UInt8](blob)
        guard bytes.count >= 4 else { return nil }
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard length > 0, length <= bytes.count - 4 else { return nil }
        return String(decoding: bytes[4..<(4 + length)], as: UTF8.self)
    }

    /// `host` against one pattern: `[name]:port` compares the name; `*` and `?` are wildcards.
    static func matches(_ host: String, _ pattern: String) -> Bool {
        var p = pattern
        if p.hasPrefix("["), let close = p.firstIndex(of: "]") { p = String(p[p.index(after: p.startIndex)..<close]) }
        return fnmatch(p, host, 0) == 0
    }
}
