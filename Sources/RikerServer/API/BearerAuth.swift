import Foundation
import HTTPTypes
import Hummingbird

/// What a request wants to do with an app: read it, or change it.
public enum APIAccess: Sendable { case read, write }

/// `Authorization: Bearer TOKEN` against the token ring.
///
/// No header, another scheme or an unknown token: 401 with `WWW-Authenticate: Bearer`. A
/// known token without the app in its list, or a read-only token asking to write: 403. The
/// check comes before anything about the app is read, so a refusal changes nothing and tells
/// nothing about which apps exist.
public struct BearerAuth: Sendable {
    public let tokens: TokenRing

    public init(tokens: TokenRing) { self.tokens = tokens }

    /// The token the request carries; throws a 401 `APIError` without a valid one.
    public func authenticate(_ request: Request) async throws -> APIToken {
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("no API token: send 'Authorization: Bearer TOKEN' (create one with riker tokens:add NAME)")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized("the Authorization header must be 'Bearer TOKEN'")
        }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        let found: APIToken?
        do { found = secret.utf8.count <= 200 ? try await tokens.verify(secret) : nil } catch {
            throw APIError(.serviceUnavailable, "cannot check the API token: the token list in the store cannot be read (\(error.userMessage)); try again")
        }
        guard let token = found else {
            throw Self.unauthorized("this API token is not valid: ask an admin for one (riker tokens:add NAME)")
        }
        return token
    }

    /// The token, checked for `access` to `app`; throws 401 or 403 as described above.
    @discardableResult
    public func authorize(_ request: Request, app: String, _ access: APIAccess) async throws -> APIToken {
        let token = try await authenticate(request)
        guard token.covers(app) else {
            throw APIError(.forbidden, "token \(token.name) has no access to app \(app.prefix(64)): ask an admin for a token with --app \(app.prefix(64))")
        }
        if access == .write && token.readOnly {
            throw APIError(.forbidden, "token \(token.name) is read-only: changes need a token made without --read-only")
        }
        return token
    }

    static func unauthorized(_ message: String) -> APIError {
        var e = APIError(.unauthorized, message)
        e.headers = [.wwwAuthenticate: #"Bearer realm="riker""#]
        return e
    }
}
