import Foundation
import Hummingbird
import RikerCore
import RikerRelease

/// The JSON API under `/api`, for CI and chat: reads of apps, releases, builds, deploys,
/// instances and config keys, and changes (deploy, rollback, promote, config) started in the
/// background (`202` with an action to poll). Every route wants a bearer token (`BearerAuth`);
/// the check comes first, so a refusal changes and reveals nothing. Described in
/// `docs/openapi.yaml`.
public struct APIRoutes: HTTPRoutes {
    public let store: any ReleaseStore
    public let auth: BearerAuth
    public let runner: APIActionRunner
    public let actions: any APIReleaseActions

    public init(store: any ReleaseStore, auth: BearerAuth, runner: APIActionRunner, actions: any APIReleaseActions) {
        self.store = store; self.auth = auth; self.runner = runner; self.actions = actions
    }

    public func register(on router: Router<ServerRequestContext>) {
        let api = router.group("api")
        api.get("apps") { request, _ -> Response in try await listApps(request) }
        api.get("apps/:app") { request, context -> Response in
            let app = try await readableApp(request, context)
            return JSONResponse.make(.ok, try await view(app.name, app.settings))
        }
        api.get("apps/:app/builds") { request, context -> Response in
            let app = try await readableApp(request, context)
            return JSONResponse.make(.ok, ["builds": try await BuildRecords(store: store).list(app: app.name, limit: try limit(request))])
        }
        api.get("apps/:app/actions/:id") { request, context -> Response in
            let app = try await readableApp(request, context)
            let id = context.parameters.get("id") ?? ""
            guard let action = try await runner.action(app: app.name, id: id) else {
                throw APIError(.notFound, "no action \(id.prefix(40)) for \(app.name): ids come from the 202 of a POST")
            }
            return JSONResponse.make(.ok, action)
        }
        api.get("apps/:app/:env/releases") { request, context -> Response in
            let (app, env) = try await readableEnv(request, context)
            let current = try await store.current(app, env).version
            let releases = try await store.releases(app, env, limit: try limit(request)).map { ReleaseView($0, current: current) }
            return JSONResponse.make(.ok, ReleasesAnswer(app: app, env: env, current: current, releases: releases))
        }
        api.get("apps/:app/:env/deploys") { request, context -> Response in
            let (app, env) = try await readableEnv(request, context)
            return JSONResponse.make(.ok, ["deploys": try await DeployRecords(store: store, app: app, env: env).newest(try limit(request))])
        }
        api.get("apps/:app/:env/instances") { request, context -> Response in
            let (app, env) = try await readableEnv(request, context)
            var rows: [InstanceStatus] = []
            for id in try await store.instanceIDs(app, env) {
                if let s = try await store.status(app, env, instance: id) { rows.append(s) }
            }
            return JSONResponse.make(.ok, ["instances": rows])
        }
        api.get("apps/:app/:env/config") { request, context -> Response in
            let (app, env) = try await readableEnv(request, context)
            let keys = try await store.config(app, env).vars.keys.sorted()
            return JSONResponse.make(.ok, ConfigAnswer(app: app, env: env, keys: keys))
        }
        registerActions(on: api)
    }

    struct ReleasesAnswer: Encodable { var app: String; var env: String; var current: Int?; var releases: [ReleaseView] }
    struct ConfigAnswer: Encodable { var app: String; var env: String; var keys: [String] }

    func listApps(_ request: Request) async throws -> Response {
        let token = try await auth.authenticate(request)
        var apps: [AppView] = []
        for name in try await store.appNames() where token.covers(name) {
            guard let (settings, _) = try await store.app(name) else { continue }
            apps.append(try await view(name, settings))
        }
        return JSONResponse.make(.ok, ["apps": apps])
    }

    /// The app the path names and the token, checked for `access` to it first; 404 if none.
    func app(_ request: Request, _ context: ServerRequestContext, _ access: APIAccess) async throws
        -> (name: String, settings: AppSettings, token: APIToken) {
        let name = context.parameters.get("app") ?? ""
        let token = try await auth.authorize(request, app: name, access)
        guard AppName.isValid(name) else { throw APIError(.notFound, "no such app: app names are a-z, 0-9 and '-'") }
        guard let (settings, _) = try await store.app(name) else {
            throw APIError(.notFound, "app \(name) does not exist: see GET /api/apps")
        }
        return (name, settings, token)
    }

    func readableApp(_ request: Request, _ context: ServerRequestContext) async throws -> (name: String, settings: AppSettings, token: APIToken) {
        try await app(request, context, .read)
    }

    func readableEnv(_ request: Request, _ context: ServerRequestContext) async throws -> (app: String, env: String) {
        let app = try await self.app(request, context, .read)
        return (app.name, try env(context))
    }

    func env(_ context: ServerRequestContext, _ parameter: String = "env") throws -> String {
        let env = context.parameters.get(parameter) ?? ""
        guard AppName.isValid(env) else { throw APIError(.notFound, "no such environment: names are a-z, 0-9 and '-'") }
        return env
    }

    /// `?limit=N` (1…500, default 50).
    func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let n = Int(text), (1...500).contains(n) else { throw APIError(.badRequest, "limit must be a number from 1 to 500") }
        return n
    }

    /// The app with every environment it has: those its settings name and those with a release.
    func view(_ name: String, _ settings: AppSettings) async throws -> AppView {
        var envs = Set(settings.environments)
        for child in try await store.listChildren(prefix: "apps/\(name)/") where AppName.isValid(child) && child != "slugs" {
            if try await store.current(name, child).version != nil { envs.insert(child) }
        }
        var rows: [AppView.Env] = []
        for env in envs.sorted() {
            let current = try await store.current(name, env).version
            let release = try await current.asyncMap { try await store.release(name, env, $0) } ?? nil
            rows.append(AppView.Env(env: env, current: current, release: release?.name, commit: release?.commit,
                                    target: (try? DeploySettings(settings, env: env))?.target.rawValue, deployedAt: release?.createdAt))
        }
        return AppView(name: name, environments: rows)
    }
}
