import Foundation
import Logging
import RikerCore
import RikerDeploy
import RikerRelease
import RikerServer

/// The HTTP API's changes, done by the verbs' own code: `DeployRef`, `ReleaseActions` and
/// `changeConfig`.
struct VerbReleaseActions: APIReleaseActions {
    let paths: RikerPaths
    let store: any ReleaseStore

    func resolve(app: String, ref: String) async throws -> String {
        try DeployRef.resolve(paths: paths, app: app, ref: ref)
    }

    func deploy(app: String, env: String, ref: String, commit: String, createdBy: String, output: Output) async throws -> String? {
        try await DeployRef.deploy(paths: paths, store: store, app: app, env: env, ref: ref, commit: commit, createdBy: createdBy, output: output).name
    }

    func rollback(app: String, env: String, to version: Int, createdBy: String, output: Output) async throws -> String? {
        try await ReleaseActions(paths: paths, store: store, output: output).rollback(app, env, to: version, createdBy: createdBy).name
    }

    func promote(app: String, from: String, to: String, createdBy: String, output: Output) async throws -> String? {
        try await ReleaseActions(paths: paths, store: store, output: output).promote(app, from: from, to: to, createdBy: createdBy).name
    }

    func changeConfig(app: String, env: String, set: [String: String], unset: [String], createdBy: String, output: Output) async throws -> String? {
        let verb = set.isEmpty ? "Unset" : unset.isEmpty ? "Set" : "Set and unset"
        return try await RikerCommands.changeConfig(paths: paths, store: store, app: app, env: env, keys: (Array(set.keys) + unset).sorted(),
                                                    verb: verb, createdBy: createdBy, output: output) { vars in
            vars.merge(set) { _, new in new }
            for key in unset { vars[key] = nil }
        }?.name
    }
}

/// The HTTP API of `riker serve`: its routes (add to the HTTP service) and the runner of its
/// background changes (add to the service group).
struct ServeAPI {
    let routes: APIRoutes
    let runner: APIActionRunner

    init(paths: RikerPaths, store: any ReleaseStore, auth: BearerAuth, logger: Logger) {
        runner = APIActionRunner(store: store, scratch: paths.tmpDir.appendingPathComponent("api-actions"), logger: logger)
        routes = APIRoutes(store: store, auth: auth, runner: runner,
                           actions: VerbReleaseActions(paths: paths, store: store))
    }
}
