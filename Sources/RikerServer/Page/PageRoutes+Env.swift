import Foundation
import Hummingbird
import RikerCore
import RikerRelease

/// The env page, its live events and its buttons.
extension PageRoutes {
    func registerEnv(on router: Router<ServerRequestContext>) {
        router.get("apps/:app/:env") { request, context in
            try await page(request) { user in
                let (app, env) = try await readable(user, context)
                return try await envPage(user, app: app, env: env)
            }
        }
        router.get("apps/:app/:env/events") { request, context in
            try await page(request) { user in
                let (app, env) = try await readable(user, context)
                return envEvents(request, app: app, env: env)
            }
        }
        router.post("apps/:app/:env/rollback") { request, context in
            try await page(request) { user in
                let form = try await PageForm.read(request)
                try auth.checkPost(request, user: user, presented: form["csrf"])
                let (app, env) = try await writable(user, context)
                guard let text = form["version"], let version = parseVersion(text) ?? Int(text), version > 0 else {
                    throw APIError(.badRequest, "choose a release to roll back to (a version like v3)")
                }
                guard try await store.current(app, env).version != nil else {
                    throw APIError(.notFound, "\(app) (\(env)) has no deployed release to roll back from")
                }
                guard try await store.release(app, env, version) != nil else { throw APIError(.notFound, "\(app) (\(env)) has no release v\(version)") }
                let action = APIAction(app: app, env: env, kind: "rollback", request: "to v\(version)", requestedBy: user.token.name)
                _ = try await api.runner.submit(action) { [actions = api.actions, token = user.token] output in
                    try await actions.rollback(app: app, env: env, to: version, createdBy: APIRoutes.actor(token), output: output)
                }
                return HTML.redirect("/apps/\(app)/\(env)")
            }
        }
        router.post("apps/:app/:env/promote") { request, context in
            try await page(request) { user in
                let form = try await PageForm.read(request)
                try auth.checkPost(request, user: user, presented: form["csrf"])
                let (app, from) = try await writable(user, context)
                let to = (form["to"] ?? "").trimmingCharacters(in: .whitespaces)
                guard AppName.isValid(to) else { throw APIError(.badRequest, "name the environment to promote to (a-z, 0-9, '-')") }
                guard to != from else { throw APIError(.badRequest, "\(from) is the environment promoted from: choose another") }
                guard let version = try await store.current(app, from).version else {
                    throw APIError(.notFound, "\(app) has nothing deployed in \(from) to promote")
                }
                let action = APIAction(app: app, env: to, kind: "promote", request: "from \(from) v\(version)", requestedBy: user.token.name)
                _ = try await api.runner.submit(action) { [actions = api.actions, token = user.token] output in
                    try await actions.promote(app: app, from: from, to: to, createdBy: APIRoutes.actor(token), output: output)
                }
                return HTML.redirect("/apps/\(app)/\(to)")
            }
        }
    }

    /// The app and env the path names, for a user who may read the app; 403/404 otherwise.
    func readable(_ user: PageUser, _ context: ServerRequestContext) async throws -> (String, String) {
        let app = context.parameters.get("app") ?? "", env = context.parameters.get("env") ?? ""
        guard user.token.covers(app) else {
            throw APIError(.forbidden, "token \(user.token.name) has no access to app \(app.prefix(64))")
        }
        guard AppName.isValid(app), AppName.isValid(env), try await store.app(app) != nil else {
            throw APIError(.notFound, "no app \(app.prefix(64)) with an environment \(env.prefix(64))")
        }
        return (app, env)
    }

    /// As `readable`, for a change: read-only tokens get a 403.
    func writable(_ user: PageUser, _ context: ServerRequestContext) async throws -> (String, String) {
        if user.token.readOnly {
            throw APIError(.forbidden, "token \(user.token.name) is read-only: changes need a token made without --read-only")
        }
        return try await readable(user, context)
    }

    func snapshot(app: String, env: String) async throws -> EnvSnapshot {
        let version = try await store.current(app, env).version
        let current = try await version.asyncMap { try await store.release(app, env, $0) } ?? nil
        var others: [String] = []
        if let settings = try await store.app(app)?.settings {
            others = try await api.view(app, settings).environments.map(\.env).filter { $0 != env }
        }
        return EnvSnapshot(app: app, env: env, current: current, releases: try await store.releases(app, env, limit: 20),
                           deploys: try await DeployRecords(store: store, app: app, env: env).newest(8),
                           instanceIDs: try await store.instanceIDs(app, env), otherEnvs: others)
    }

    /// What changes when anything the live part shows changes: `current`, the deploy records
    /// (which there are, and the newest one's content), the instances. Two HEADs and two
    /// listings (a listing's entity tags are not to be trusted: the local store leaves them out).
    func fingerprint(app: String, env: String) async throws -> String {
        let current = try await store.head(StoreLayout.current(app, env))?.etag ?? "-"
        let listed = try await store.list(prefix: StoreLayout.deploysPrefix(app, env)).filter { $0.key.hasSuffix(".json") }.suffix(8)
        let newest = try await listed.last.asyncMap { try await store.head($0.key)?.etag } ?? nil
        let instances = try await store.instanceIDs(app, env)
        return ([current, newest ?? "-"] + listed.map { "\($0.key)@\($0.size)" } + instances).joined(separator: "|")
    }

    func envPage(_ user: PageUser, app: String, env: String) async throws -> Response {
        let nonce = HTML.nonce()
        let live = EnvView(snapshot: try await snapshot(app: app, env: env), user: user).render()
        let builds = try await BuildRecords(store: store).list(app: app, limit: 30).filter { $0.env == env }.prefix(10)
        var body = "<h1><a href=\"/\">Apps</a> / \(HTML.escape(app)) / \(HTML.escape(env)) <span id=\"conn\" class=\"pill\">connecting</span></h1>"
        body += live
        body += "<h2>Builds</h2><table id=\"builds\"><tr><th>Build</th><th>Status</th><th>Ref</th><th>Commit</th><th>By</th><th>Started</th><th>Release</th></tr>"
        for b in builds {
            body += "<tr><td><a href=\"/apps/\(HTML.segment(app))/builds/\(HTML.segment(b.id))\"><code>\(HTML.escape(b.id))</code></a></td>"
            body += "<td><span class=\"pill s-\(b.status.rawValue)\">\(b.status.rawValue)</span></td><td>\(HTML.escape(b.ref))</td>"
            body += "<td><code>\(HTML.escape(String((b.commit ?? b.requestedCommit).prefix(7))))</code></td><td>\(HTML.escape(b.createdBy ?? ""))</td>"
            body += "<td class=\"muted\">\(HTML.date(b.startedAt ?? b.createdAt))</td><td>\(HTML.escape(b.release ?? ""))</td></tr>"
        }
        if builds.isEmpty { body += "<tr><td colspan=\"7\" class=\"muted\">No builds recorded.</td></tr>" }
        body += "</table>"
        let script = """
        (function(){var conn=document.getElementById('conn');
        var es=new EventSource(location.pathname.replace(/\\/$/,'')+'/events');
        es.addEventListener('live',function(e){var t=document.createElement('template');t.innerHTML=e.data;
        var fresh=t.content.getElementById('live');var old=document.getElementById('live');if(fresh&&old){old.replaceWith(fresh);}});
        es.onopen=function(){conn.textContent='live';conn.className='pill s-succeeded';};
        es.onerror=function(){conn.textContent='reconnecting';conn.className='pill s-draining';};})();
        """
        return HTML.response(.ok, frame(user, title: "\(app) \(env)", content: body, nonce: nonce, script: script), nonce: nonce)
    }

    /// The live part again whenever the store says something it shows changed.
    func envEvents(_ request: Request, app: String, env: String) -> Response {
        let state = EventState()
        return PageEvents.response { [self] in
            let print = try await fingerprint(app: app, env: env)
            if print == state.fingerprint { return .idle }
            state.fingerprint = print
            // The token is checked again: a removed token or a narrowed app list ends the stream.
            guard let user = try await auth.user(request), user.token.covers(app) else { return .end([PageEvents.event("logout", "")]) }
            let html = EnvView(snapshot: try await snapshot(app: app, env: env), user: user).render()
            if html == state.sent { return .idle }
            state.sent = html
            return .send([PageEvents.event("live", html)])
        }
    }
}

/// What one event stream remembers between polls (only its own task touches it).
final class EventState: @unchecked Sendable {
    var fingerprint = ""
    var sent = ""
    var offset = 0
}
