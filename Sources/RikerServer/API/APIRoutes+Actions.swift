import Foundation
import Hummingbird
import RikerCore
import RikerRelease

/// The changes: each is checked in full first (token, app, env, body, the release or ref it
/// names), so a refusal changes nothing; then it is recorded and run in the background, and
/// answered `202 Accepted` with the action (poll `GET /api/apps/APP/actions/ID`, whose
/// `Location` the answer carries).
extension APIRoutes {
    func registerActions(on api: RouterGroup<ServerRequestContext>) {
        api.post("apps/:app/:env/deploy") { request, context -> Response in
            let (app, env, token) = try await writableEnv(request, context)
            let body = try await APIBody.decode(DeployBody.self, from: request, example: #"{"ref": "main"}"#)
            let ref = body.ref.trimmingCharacters(in: .whitespaces)
            guard !ref.isEmpty, ref.utf8.count <= 200, !ref.hasPrefix("-"), !ref.contains(where: { $0.isNewline || $0 == "\0" }) else {
                throw APIError(.badRequest, "ref must be a branch, tag or commit of the app's repository, e.g. {\"ref\": \"main\"}")
            }
            let commit: String
            do { commit = try await actions.resolve(app: app, ref: ref) } catch let e as RikerError where e.code == .notFound || e.code == .git || e.code == .invalidInput {
                throw APIError(.notFound, "\(app) has no ref \(ref.prefix(80)): push it first, or name a branch, tag or commit it has")
            }
            let action = APIAction(app: app, env: env, kind: "deploy", request: "ref \(ref) (\(commit.prefix(7)))", requestedBy: token.name)
            return try await accept(action) { [actions] output in
                try await actions.deploy(app: app, env: env, ref: ref, commit: commit, createdBy: Self.actor(token), output: output)
            }
        }
        api.post("apps/:app/:env/rollback") { request, context -> Response in
            let (app, env, token) = try await writableEnv(request, context)
            let body = try await APIBody.decode(RollbackBody.self, from: request, example: #"{"version": 3} or {} for the release before current"#)
            guard let current = try await store.current(app, env).version else {
                throw APIError(.notFound, "\(app) (\(env)) has no deployed release to roll back from")
            }
            let target: Int
            if let version = body.version {
                guard version > 0 else { throw APIError(.badRequest, "version must be a release number like 3 (or \"v3\")") }
                target = version
            } else {
                guard let previous = try await store.releaseVersions(app, env).last(where: { $0 < current }) else {
                    throw APIError(.notFound, "\(app) (\(env)) has no release before v\(current)")
                }
                target = previous
            }
            guard try await store.release(app, env, target) != nil else {
                throw APIError(.notFound, "\(app) (\(env)) has no release v\(target): see GET /api/apps/\(app)/\(env)/releases")
            }
            let action = APIAction(app: app, env: env, kind: "rollback", request: "to v\(target)", requestedBy: token.name)
            return try await accept(action) { [actions] output in
                try await actions.rollback(app: app, env: env, to: target, createdBy: Self.actor(token), output: output)
            }
        }
        api.post("apps/:app/promote") { request, context -> Response in
            let (app, _, token) = try await self.app(request, context, .write)
            let body = try await APIBody.decode(PromoteBody.self, from: request, example: #"{"from": "staging", "to": "production"}"#)
            guard AppName.isValid(body.from), AppName.isValid(body.to) else {
                throw APIError(.badRequest, "from and to must be environment names (a-z, 0-9, '-')")
            }
            guard body.from != body.to else { throw APIError(.badRequest, "from and to name the same environment") }
            guard let version = try await store.current(app, body.from).version else {
                throw APIError(.notFound, "\(app) has nothing deployed in \(body.from) to promote")
            }
            let action = APIAction(app: app, env: body.to, kind: "promote", request: "from \(body.from) v\(version)", requestedBy: token.name)
            return try await accept(action) { [actions] output in
                try await actions.promote(app: app, from: body.from, to: body.to, createdBy: Self.actor(token), output: output)
            }
        }
        api.post("apps/:app/:env/config") { request, context -> Response in
            let (app, env, token) = try await writableEnv(request, context)
            let body = try await APIBody.decode(ConfigBody.self, from: request, example: #"{"set": {"KEY": "value"}, "unset": ["OLD"]}"#)
            let set = body.set ?? [:], unset = body.unset ?? []
            guard !set.isEmpty || !unset.isEmpty else { throw APIError(.badRequest, "nothing to change: give \"set\" and/or \"unset\"") }
            for key in Array(set.keys) + unset where !EnvFile.isValidKey(key) {
                throw APIError(.badRequest, "invalid config key '\(key.prefix(40))': letters, digits and '_', not starting with a digit")
            }
            if let both = Set(set.keys).intersection(unset).first { throw APIError(.badRequest, "\(both) is both set and unset") }
            var words: [String] = []
            if !set.isEmpty { words.append("set \(set.keys.sorted().joined(separator: ", "))") }
            if !unset.isEmpty { words.append("unset \(unset.sorted().joined(separator: ", "))") }
            let action = APIAction(app: app, env: env, kind: "config", request: words.joined(separator: "; "), requestedBy: token.name)
            return try await accept(action) { [actions] output in
                try await actions.changeConfig(app: app, env: env, set: set, unset: unset, createdBy: Self.actor(token), output: output)
            }
        }
    }

    /// Who a release made through the API says created it.
    static func actor(_ token: APIToken) -> String { "token:\(token.name)" }

    func writableEnv(_ request: Request, _ context: ServerRequestContext) async throws -> (String, String, APIToken) {
        let app = try await self.app(request, context, .write)
        return (app.name, try env(context), app.token)
    }

    func accept(_ action: APIAction, _ work: @escaping APIActionRunner.Work) async throws -> Response {
        let recorded = try await runner.submit(action, work: work)
        return JSONResponse.make(.accepted, recorded, headers: [.location: "/api/apps/\(action.app)/actions/\(action.id)"])
    }
}
