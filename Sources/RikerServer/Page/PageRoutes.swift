import Foundation
import HTTPTypes
import Hummingbird
import RikerCore
import RikerRelease

/// The live page of `riker serve`: server-rendered HTML at `/` for people, next to the JSON
/// API under `/api` (the same tokens, the same app lists and read-only flags).
///
/// - `GET /login`, `POST /login` (a token → a session cookie), `POST /logout`
/// - `GET /`: the apps the token covers, each env with its current release and newest deploy
/// - `GET /apps/APP/ENV`: releases (Rollback and Promote buttons), recent deploys and builds,
///   and the newest deploy's instances batch by batch, kept live by
///   `GET /apps/APP/ENV/events` (server-sent events)
/// - `POST /apps/APP/ENV/rollback`, `POST /apps/APP/ENV/promote`: the API's actions, from forms
/// - `GET /apps/APP/builds/ID`: a build's log, followed live by `…/events`
///
/// Pages without a login redirect to `/login`; HTTP Basic with the token as password works
/// too. Every POST is CSRF-checked (`PageAuth`). Everything from the store is escaped; every
/// answer forbids framing and inline scripts other than the page's own (nonce).
public struct PageRoutes: HTTPRoutes {
    let api: APIRoutes
    let auth: PageAuth
    var store: any ReleaseStore { api.store }

    /// `secureCookies`: the server speaks TLS, so the session cookie is `Secure`.
    public init(api: APIRoutes, secureCookies: Bool) {
        self.api = api
        auth = PageAuth(tokens: api.auth.tokens, sessions: PageSessions(store: api.store), secureCookies: secureCookies)
    }

    public func register(on router: Router<ServerRequestContext>) {
        router.get("login") { request, _ in try await loginForm(request) }
        router.post("login") { request, _ in try await login(request) }
        router.post("logout") { request, _ in
            try await page(request) { user in
                try auth.checkPost(request, user: user, presented: try await PageForm.read(request)["csrf"])
                return HTML.redirect("/login", headers: [.setCookie: try await auth.logout(request)])
            }
        }
        router.get("/") { request, _ in try await page(request) { user in try await overview(user) } }
        registerEnv(on: router)
        registerBuilds(on: router)
    }

    /// Runs `body` for the request's user. Without a login, a GET is sent to `/login` and
    /// anything else refused with 401; a refusal (`APIError`) becomes an HTML page.
    func page(_ request: Request, _ body: (PageUser) async throws -> Response) async throws -> Response {
        let nonce = HTML.nonce()
        do {
            guard let user = try await auth.user(request) else {
                if request.method == .get {
                    let next = request.uri.path == "/" ? "" : "?next=" + (request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_"))) ?? "")
                    return HTML.redirect("/login" + next)
                }
                return HTML.response(.unauthorized, HTML.page(title: "Log in", body: "<main><p class=\"error\">Log in first.</p><p><a href=\"/login\">Log in</a></p></main>", nonce: nonce), nonce: nonce)
            }
            return try await body(user)
        } catch let e as APIError {
            let html = "<main><h1>\(e.status.code) \(HTML.escape(e.status.reasonPhrase))</h1><p class=\"error\">\(HTML.escape(e.message))</p><p><a href=\"/\">Back to the apps</a></p></main>"
            return HTML.response(e.status, HTML.page(title: e.status.reasonPhrase, body: html, nonce: nonce), nonce: nonce)
        }
    }

    /// The page around `content`: a bar with the token's name and a Log out button.
    func frame(_ user: PageUser, title: String, content: String, nonce: String, script: String = "") -> String {
        var bar = "<header><a href=\"/\">Riker</a><span class=\"muted\">token \(HTML.escape(user.token.name))\(user.token.readOnly ? " (read-only)" : "")</span>"
        if !user.basic {
            bar += "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(user.csrf))\"><button type=\"submit\">Log out</button></form>"
        }
        return HTML.page(title: title, body: bar + "</header><main>" + content + "</main>", nonce: nonce, script: script)
    }

    func loginForm(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        if error == nil, try await auth.user(request) != nil { return HTML.redirect("/") }
        let nonce = HTML.nonce()
        let next = Self.safeNext(request.uri.queryParameters.get("next"))
        var body = "<div class=\"login\"><h1>Riker</h1>"
        if let error { body += "<p class=\"error\" id=\"login-error\">\(HTML.escape(error))</p>" }
        body += "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"\(HTML.escape(next))\">"
        body += "<label for=\"token\">API token</label><input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" required autofocus>"
        body += "<button type=\"submit\" class=\"primary\">Log in</button></form>"
        body += "<p class=\"muted\">An admin makes tokens with <code>riker tokens:add NAME [--app APP] [--read-only]</code>.</p></div>"
        return HTML.response(status, HTML.page(title: "Log in", body: body, nonce: nonce), nonce: nonce)
    }

    func login(_ request: Request) async throws -> Response {
        do { try auth.checkOrigin(request) } catch let e as APIError {
            return try await loginForm(request, error: e.message, status: .forbidden)
        }
        let form = try await PageForm.read(request)
        let secret = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let cookie = try await auth.login(secret: secret) else {
            return try await loginForm(request, error: "That token is not valid: ask an admin for one (riker tokens:add NAME).", status: .unauthorized)
        }
        return HTML.redirect(Self.safeNext(form["next"]).isEmpty ? "/" : Self.safeNext(form["next"]), headers: [.setCookie: cookie])
    }

    /// A `next` path of this site only (`/…`, never `//host` or a scheme).
    static func safeNext(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), text.utf8.count < 300,
              text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f && $0 != "\\" }) else { return "" }
        return text
    }

    func overview(_ user: PageUser) async throws -> Response {
        let nonce = HTML.nonce()
        var body = "<h1>Apps</h1>"
        var any = false
        for name in try await store.appNames() where user.token.covers(name) {
            guard let (settings, _) = try await store.app(name) else { continue }
            any = true
            let view = try await api.view(name, settings)
            body += "<h2 class=\"app\" data-app=\"\(HTML.escape(name))\">\(HTML.escape(name))</h2><table><tr><th>Env</th><th>Current</th><th>Commit</th><th>Target</th><th>Newest deploy</th></tr>"
            for env in view.environments {
                let newest = try await DeployRecords(store: store, app: name, env: env.env).newest(1).first
                let link = "/apps/\(HTML.segment(name))/\(HTML.segment(env.env))"
                body += "<tr><td><a href=\"\(link)\">\(HTML.escape(env.env))</a></td><td>\(HTML.escape(env.release ?? "none"))</td>"
                body += "<td><code>\(HTML.escape(String((env.commit ?? "").prefix(7))))</code></td><td>\(HTML.escape(env.target ?? ""))</td><td>"
                if let d = newest {
                    body += "v\(d.release) <span class=\"pill s-\(d.outcome.rawValue)\">\(d.outcome.rawValue.replacingOccurrences(of: "_", with: " "))</span> <span class=\"muted\">\(HTML.date(d.startedAt))</span>"
                }
                body += "</td></tr>"
            }
            if view.environments.isEmpty { body += "<tr><td colspan=\"5\" class=\"muted\">Nothing pushed yet.</td></tr>" }
            body += "</table>"
        }
        if !any { body += "<p class=\"muted\">No apps this token may see.</p>" }
        return HTML.response(.ok, frame(user, title: "Apps", content: body, nonce: nonce), nonce: nonce)
    }
}
