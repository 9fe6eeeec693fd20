import Foundation
import RikerRelease
import Hummingbird
import RikerCore

/// `GET /apps/APP/builds` (newest first) and `GET /builds/ID`: build records as JSON, for a
/// bearer token that may read the app (`BearerAuth`), since a record carries commit messages,
/// ref names and error text.
///
/// A build is looked for only among the apps the token covers, so a build of another app is
/// answered 404 exactly like one that does not exist: the answer tells nothing about apps the
/// token cannot see.
public struct BuildRoutes: HTTPRoutes {
    public let records: BuildRecords
    public let auth: BearerAuth

    public init(records: BuildRecords, auth: BearerAuth) { self.records = records; self.auth = auth }

    public func register(on router: Router<ServerRequestContext>) {
        router.get("/apps/:app/builds") { request, context -> Response in
            let app = context.parameters.get("app") ?? ""
            try await auth.authorize(request, app: app, .read)
            guard AppName.isValid(app) else { throw APIError(.notFound, "no such app: app names are a-z, 0-9 and '-'") }
            guard try await records.store.app(app) != nil else { throw APIError(.notFound, "app \(app) does not exist") }
            return JSONResponse.make(.ok, ["builds": try await records.list(app: app)])
        }
        router.get("/builds/:id") { request, context -> Response in
            let token = try await auth.authenticate(request)
            let id = context.parameters.get("id") ?? ""
            guard BuildID.isValid(id) else { throw Self.noSuchBuild }
            for app in try await records.store.appNames() where token.covers(app) {
                if let record = try await records.get(app: app, id: id) { return JSONResponse.make(.ok, record) }
            }
            throw Self.noSuchBuild
        }
    }

    static var noSuchBuild: APIError { APIError(.notFound, "no such build: see GET /apps/APP/builds for build ids") }
}
