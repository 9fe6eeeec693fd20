import Crypto
import Foundation
import RikerCore
import RikerRelease

/// One login to the page, kept in the store at `sessions/ID.json` so every `riker serve`
/// sharing the store knows it.
///
/// The record holds the API token sealed (AES-GCM) with a key that only the browser's cookie
/// carries: the store alone cannot give the token back, and the cookie alone is not the token.
/// Each request opens the token and checks it against the token ring again, so a removed
/// token ends its sessions at once.
struct PageSession: Codable, Sendable {
    var id: String
    /// The token, sealed with the cookie's key (base64 of nonce, ciphertext and tag).
    var sealed: String
    /// The per-session CSRF token the page's forms carry.
    var csrf: String
    var createdAt: Date
    var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case id, sealed, csrf
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }
}

/// Creates, opens and ends page sessions. The cookie's value is `ID.KEY`: the session id and
/// the (hex) key that opens the sealed token.
struct PageSessions: Sendable {
    let store: any ReleaseStore
    static let cookieName = "riker_session"
    /// How long a login lasts.
    static let lifetime: TimeInterval = 12 * 3600

    static func key(_ id: String) -> String { "sessions/\(id).json" }

    /// A new session for `secret` (a token already verified); returns the cookie value.
    func create(secret: String, now: Date = Date()) async throws -> (cookie: String, session: PageSession) {
        let key = SymmetricKey(size: .bits256)
        let box = try AES.GCM.seal(Data(secret.utf8), using: key)
        guard let combined = box.combined else { throw RikerError(.io, "cannot seal the session") }
        let id = BuildID.make(at: now).prefix(16) + Self.hex(SymmetricKey(size: .bits128))
        let session = PageSession(id: String(id), sealed: combined.base64EncodedString(), csrf: Self.hex(SymmetricKey(size: .bits256)),
                                  createdAt: now, expiresAt: now.addingTimeInterval(Self.lifetime))
        try await store.put(Self.key(session.id), try JSONCoding.encode(session), condition: .ifAbsent)
        return ("\(session.id).\(Self.hex(key))", session)
    }

    /// The session and its token's text for a cookie value; nil when the cookie is malformed,
    /// the session is gone or expired, or the key does not open it.
    func open(_ cookie: String, now: Date = Date()) async throws -> (session: PageSession, secret: String)? {
        guard let (id, keyBytes) = Self.parse(cookie), let obj = try await store.get(Self.key(id)),
              let session = try? JSONCoding.decode(PageSession.self, from: obj.data, what: "session") else { return nil }
        guard session.expiresAt > now else {
            try? await store.delete(Self.key(id))
            return nil
        }
        guard let sealed = Data(base64Encoded: session.sealed), let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: SymmetricKey(data: keyBytes)) else { return nil }
        return (session, String(decoding: plain, as: UTF8.self))
    }

    /// Ends the session a cookie names (nothing if it names none).
    func end(_ cookie: String) async throws {
        guard let (id, _) = Self.parse(cookie) else { return }
        try await store.delete(Self.key(id))
    }

    /// Deletes sessions older than their lifetime (ids begin with their creation time, so the
    /// listing alone tells).
    func sweep(now: Date = Date()) async throws {
        let oldest = String(BuildID.make(at: now.addingTimeInterval(-Self.lifetime)).prefix(15))
        for object in try await store.list(prefix: "sessions/") {
            let name = object.key.dropFirst("sessions/".count)
            if name.count > 15, String(name.prefix(15)) < oldest { try? await store.delete(object.key) }
        }
    }

    /// `ID.KEYHEX` → (ID, key bytes); ids are `yyyyMMddTHHmmss-` and 32 hex digits.
    static func parse(_ cookie: String) -> (String, Data)? {
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == 48, parts[1].utf8.count == 64,
              parts[0].utf8.enumerated().allSatisfy({ i, c in i == 8 ? c == UInt8(ascii: "T") : i == 15 ? c == UInt8(ascii: "-") : isHex(c) }),
              let key = bytes(hex: parts[1]) else { return nil }
        return (String(parts[0]), key)
    }

    static func isHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }

    static func hex(_ key: SymmetricKey) -> String { key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } }

    static func bytes(hex: Substring) -> Data? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0, u.allSatisfy(isHex) else { return nil }
        var out = Data(capacity: u.count / 2)
        for i in stride(from: 0, to: u.count, by: 2) { out.append(UInt8(String(decoding: u[i...i + 1], as: UTF8.self), radix: 16)!) }
        return out
    }
}
