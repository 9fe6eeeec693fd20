import RikerCore

/// The changes the API starts, done by the same code as the `riker` verbs (`ReleaseActions`,
/// the push pipeline, `config:set`). RikerServer does not link the deploy side; `riker serve`
/// hands in the implementation. Each returns the release it made (`v7`), or nil when nothing
/// was released (a config change before the first deploy). Throws `RikerError`.
public protocol APIReleaseActions: Sendable {
    /// The commit `ref` (branch, tag or commit) names in the app's repository; `.notFound`
    /// when it names none. Called before a deploy is accepted.
    func resolve(app: String, ref: String) async throws -> String
    /// Builds `commit` (from `ref`) and deploys it to `env`, as `riker deploy APP REF` does.
    func deploy(app: String, env: String, ref: String, commit: String, createdBy: String, output: Output) async throws -> String?
    /// A new release of release `version`'s slug and config, deployed (`riker rollback`).
    func rollback(app: String, env: String, to version: Int, createdBy: String, output: Output) async throws -> String?
    /// `from`'s current slug released to `to` with `to`'s config (`riker promote`).
    func promote(app: String, from: String, to: String, createdBy: String, output: Output) async throws -> String?
    /// Sets and removes config vars, then releases the current slug with them (`riker config:set`/`config:unset`).
    func changeConfig(app: String, env: String, set: [String: String], unset: [String], createdBy: String, output: Output) async throws -> String?
}
