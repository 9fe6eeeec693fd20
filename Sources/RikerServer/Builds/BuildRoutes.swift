import Foundation
import Hummingbird
import RikerCore

/// `GET /apps/APP/builds` (newest first) and `GET /builds/ID`: build records as JSON.
public struct BuildRoutes: HTTPRoutes {
    public let records: BuildRecords

    public init(records: BuildRecords) { self.records = records }

    public func register(on router: Router<ServerRequestContext>) {
        router.get("/apps/:app/builds") { _, context -> Response in
            let app = context.parameters.get("app") ?? ""
            guard AppName.isValid(app) else { throw APIError(.notFound, "no such app: app names are a-z, 0-9 and '-'") }
            guard try await records.store.app(app) != nil else { throw APIError(.notFound, "app \(app) does not exist") }
            return JSONResponse.make(.ok, ["builds": try await records.list(app: app)])
        }
        router.get("/builds/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard let record = try await records.find(id: id) else {
                throw APIError(.notFound, "no such build: see GET /apps/APP/builds for build ids")
            }
            return JSONResponse.make(.ok, record)
        }
    }
}
