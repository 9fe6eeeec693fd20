import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import RikerCore

/// Who is looking at the page: the API token they logged in with (or sent with HTTP Basic),
/// checked against the token ring on every request, and the CSRF token their forms carry.
struct PageUser: Sendable {
    let token: APIToken
    let csrf: String
    /// True when the request came with HTTP Basic rather than the session cookie.
    let basic: Bool
}

/// Logs people in to the page with the API's tokens, and guards the page's POSTs.
///
/// Two ways in: the login form sets a session cookie (`PageSessions`; HttpOnly,
/// SameSite=Strict, Secure over TLS), or HTTP Basic with the token as the password. Either
/// way the token is the API's, with its app list and read-only flag.
///
/// A POST must carry the CSRF token of its session in the `csrf` field (compared in constant
/// time), and when the browser says where it comes from (`Sec-Fetch-Site`, `Origin`), it must
/// be this site. Anything else is a 403 before anything is read or changed.
struct PageAuth: Sendable {
    let tokens: TokenRing
    let sessions: PageSessions
    let secureCookies: Bool

    /// The user of `request`; nil when it carries no login. A Basic header with a wrong token
    /// is nil too (the page then asks for a login).
    func user(_ request: Request) async throws -> PageUser? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "basic",
               let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
               let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") {
                let secret = String(text[text.index(after: colon)...])
                guard let token = try await verify(secret) else { return nil }
                return PageUser(token: token, csrf: Self.basicCSRF(secret), basic: true)
            }
        }
        guard let cookie = Self.cookie(PageSessions.cookieName, in: request),
              let (session, secret) = try await sessions.open(cookie),
              let token = try await verify(secret) else { return nil }
        return PageUser(token: token, csrf: session.csrf, basic: false)
    }

    func verify(_ secret: String) async throws -> APIToken? {
        guard !secret.isEmpty, secret.utf8.count <= 200 else { return nil }
        return try await tokens.verify(secret)
    }

    /// Logs in with a token's text: the `Set-Cookie` value of the new session, or nil for a
    /// token that is not valid.
    func login(secret: String) async throws -> String? {
        guard try await verify(secret) != nil else { return nil }
        try? await sessions.sweep()
        let (cookie, _) = try await sessions.create(secret: secret)
        return setCookie(cookie, maxAge: Int(PageSessions.lifetime))
    }

    /// Ends the request's session; the `Set-Cookie` value that clears the cookie.
    func logout(_ request: Request) async throws -> String {
        if let cookie = Self.cookie(PageSessions.cookieName, in: request) { try await sessions.end(cookie) }
        return setCookie("", maxAge: 0)
    }

    func setCookie(_ value: String, maxAge: Int) -> String {
        "\(PageSessions.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    /// Throws a 403 unless the request may be a form of this site: its `Sec-Fetch-Site` (when
    /// sent) is `same-origin` and its `Origin` (when sent) is this server.
    func checkOrigin(_ request: Request) throws {
        if let site = request.headers[.init("Sec-Fetch-Site")!], site != "same-origin" {
            throw APIError(.forbidden, "cross-site request refused: use the buttons of this server's own pages")
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? request.headers[.init("Host")!] ?? ""
            guard origin == "\(secureCookies ? "https" : "http")://\(host)" else {
                throw APIError(.forbidden, "cross-site request refused: Origin \(origin.prefix(80)) is not this server")
            }
        }
    }

    /// Throws a 403 unless `presented` is the user's CSRF token (and the origin checks pass).
    func checkPost(_ request: Request, user: PageUser, presented: String?) throws {
        try checkOrigin(request)
        guard let presented, APIToken.digestsEqual(presented, user.csrf) else {
            throw APIError(.forbidden, "this form has no valid CSRF token: reload the page and try again")
        }
    }

    /// With HTTP Basic there is no session: the CSRF token is derived from the token itself.
    static func basicCSRF(_ secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("riker page csrf".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    /// The value of cookie `name` in the request's `Cookie` headers.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let kv = pair.trimmingCharacters(in: .whitespaces)
                if kv.hasPrefix(name + "=") { return String(kv.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }
}
