import Foundation
import Logging
import RikerCore
import RikerHTTP

/// A commit status, as GitHub's statuses API takes it.
public struct CommitStatus: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        case pending, success, failure, error
    }

    public var state: State
    /// `riker/ENV`: one status line per environment on the commit.
    public var context: String
    /// At most 140 characters reach GitHub; longer ones are cut.
    public var description: String?
    /// Where the status links to (the build log).
    public var targetURL: String?

    public init(state: State, context: String, description: String? = nil, targetURL: String? = nil) {
        self.state = state; self.context = context; self.description = description; self.targetURL = targetURL
    }
}

/// Posts commit statuses (`POST {API}/repos/OWNER/REPO/statuses/SHA`) with a token.
///
/// Best effort by design: `post` never throws and is bounded by `timeout`; a failure is
/// returned and logged as one line without the token, and the deploy goes on.
public struct GitHubStatusClient: Sendable {
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    public let apiBase: String
    /// Limit on one post, connecting included, in seconds.
    public let timeout: Double
    private let token: String
    private let pool: HTTPConnectionPool
    private let logger: Logger

    /// A client sending `token` as a Bearer token to `apiBase` (trailing `/` ignored).
    public init(token: String, apiBase: String = "https://api.github.com", timeout: Double = 10,
                logger: Logger = RikerLogging.logger("github")) {
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        self.apiBase = base
        self.token = token
        self.timeout = timeout
        self.pool = HTTPConnectionPool(maxIdle: 2)
        self.logger = logger
    }

    /// Sets `status` on `commit` of `repository`. Returns `.success` once GitHub accepted it
    /// (201), else `.failure` with a one-line reason: `.permissionDenied` (401/403: the token),
    /// `.notFound` (404: repository or commit unknown, or not visible to the token),
    /// `.invalidInput` (422), `.http` (unreachable, timed out, or another status).
    @discardableResult
    public func post(_ status: CommitStatus, repository: GitHubRepository, commit: String) async -> Result<Void, RikerError> {
        let result = await send(status, repository: repository, commit: commit)
        if case .failure(let error) = result {
            logger.warning("cannot set commit status", metadata: [
                "repo": "\(repository)", "commit": "\(commit.prefix(12))", "state": "\(status.state.rawValue)",
                "context": "\(status.context)", "error": "\(error.message)",
            ])
        }
        return result
    }

    private func send(_ status: CommitStatus, repository: GitHubRepository, commit: String) async -> Result<Void, RikerError> {
        let what = "GitHub commit status \(status.state.rawValue) for \(repository)@\(commit.prefix(12))"
        guard commit.count >= 7, commit.allSatisfy(\.isHexDigit) else {
            return .failure(RikerError(.invalidInput, "\(what): '\(commit)' is not a commit id"))
        }
        var body: [String: String] = ["state": status.state.rawValue, "context": status.context]
        body["description"] = status.description.map { $0.count > 140 ? String($0.prefix(139)) + "…" : $0 }
        body["target_url"] = status.targetURL
        let json: Data
        do { json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) } catch {
            return .failure(RikerError(.invalidInput, "\(what): cannot encode the status"))
        }
        let url = "\(apiBase)/repos/\(repository.owner)/\(repository.name)/statuses/\(commit)"
        let request = HTTPRequest(method: "POST", url: url, headers: [
            "Authorization": "Bearer \(token)",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "riker",
        ], body: .data(json), timeout: timeout, connectTimeout: min(timeout, 5))
        let response: HTTPResponse
        do { response = try await pool.perform(request) } catch {
            return .failure(RikerError(.http, scrub("\(what): cannot reach \(apiBase): \(error.userMessage)")))
        }
        if response.isSuccess { return .success(()) }
        let reason = scrub(Self.message(response.body))
        let detail = reason.isEmpty ? "" : ": \(reason)"
        switch response.status {
        case 401, 403:
            return .failure(RikerError(.permissionDenied, "\(what): GitHub refused the token (HTTP \(response.status))\(detail); it needs the commit statuses permission on \(repository)"))
        case 404:
            return .failure(RikerError(.notFound, "\(what): GitHub does not know the repository or commit, or the token cannot see it (HTTP 404)"))
        case 422:
            return .failure(RikerError(.invalidInput, "\(what): GitHub refused the status (HTTP 422)\(detail)"))
        default:
            return .failure(RikerError(.http, "\(what): GitHub answered HTTP \(response.status)\(detail)"))
        }
    }

    /// GitHub's `message` from an error document, or the first line of the body, short.
    static func message(_ body: Data) -> String {
        if let doc = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let m = doc["message"] as? String { return String(m.prefix(200)) }
        return String(decoding: body.prefix(200), as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }

    private func scrub(_ text: String) -> String {
        token.isEmpty ? text : text.replacingOccurrences(of: token, with: "***")
    }
}
