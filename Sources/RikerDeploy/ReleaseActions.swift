import Foundation
import RikerCore
import RikerRelease

/// New releases made from existing slugs: config changes, rollbacks and promotions never
/// rebuild or re-upload; they copy a release with a new config and version, then deploy it.
public struct ReleaseActions {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public let output: Output

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    /// Stores a copy of `base` as the next release of `env` and deploys it. Its formation is
    /// `formation` if given, else the env's current one carried over to `base`'s process types
    /// (as a push does; for an env with nothing deployed, `base`'s). A release that only changes
    /// the formation (`releasePhase: false`) skips the release command.
    @discardableResult
    public func release(from base: Release, env: String, config: [String: String], description: String, createdBy: String,
                        formation: Formation? = nil, releasePhase: Bool = true) async throws -> Release {
        var draft = base
        draft.env = env
        draft.config = config
        draft.createdAt = Date()
        draft.createdBy = createdBy
        draft.description = description
        if let formation { draft.formation = formation } else {
            let running = try await currentRelease(base.app, env)?.effectiveFormation ?? base.effectiveFormation
            draft.formation = Formation.carried(from: running, processTypes: base.processTypes)
        }
        guard let (app, _) = try await store.app(base.app) else { throw RikerError(.notFound, "app \(base.app) does not exist") }
        let settings = try DeploySettings(app, env: env)
        let release = try await store.createRelease(draft)
        output.step("Released \(release.name) (\(release.shortCommit)): \(description)")
        FormationNotes.print(release, notes: [], output: output)
        var deployer = Deployer(paths: paths, store: store, output: output)
        deployer.runsReleasePhase = releasePhase
        try await deployer.deploy(release, settings: settings)
        return release
    }

    /// `ps:scale`: a new release of the current one with `changes` applied to its formation,
    /// deployed without running the release command. Throws `.invalidInput` for a change the
    /// release cannot take (see `Formation.scaled`), `.notFound` before the first deploy.
    /// Returns nil when the formation already is so (nothing is released).
    @discardableResult
    public func scale(_ app: String, _ env: String, changes: [String: Int], createdBy: String) async throws -> Release? {
        guard let current = try await currentRelease(app, env) else {
            throw RikerError(.notFound, "\(app) (\(env)) has nothing deployed to scale: push first")
        }
        let formation = try current.effectiveFormation.scaled(changes, processTypes: current.processTypes)
        let asked = Formation.ordered(Array(changes.keys)).map { "\($0)=\(changes[$0]!)" }.joined(separator: " ")
        guard formation != current.effectiveFormation || current.formation == nil else {
            output.step("\(app) (\(env)) already runs \(asked) per instance; nothing to release")
            return nil
        }
        output.step("Scaling \(app) (\(env)): \(asked)")
        return try await release(from: current, env: env, config: current.config, description: "Scale \(asked)", createdBy: createdBy,
                                 formation: formation, releasePhase: false)
    }

    /// The release `current` points at, or nil before the first deploy.
    public func currentRelease(_ app: String, _ env: String) async throws -> Release? {
        guard let v = try await store.current(app, env).version else { return nil }
        return try await store.release(app, env, v)
    }

    /// After a config change: a new release of the current slug with the new config (if deployed).
    public func applyConfig(_ app: String, _ env: String, changed: String, createdBy: String) async throws -> Release? {
        guard let current = try await currentRelease(app, env) else { return nil }
        let config = try await store.config(app, env).vars
        return try await release(from: current, env: env, config: config, description: changed, createdBy: createdBy)
    }

    /// Rolls back to `version`, or to the release before the current one.
    public func rollback(_ app: String, _ env: String, to version: Int?, createdBy: String) async throws -> Release {
        guard let current = try await currentRelease(app, env) else {
            throw RikerError(.notFound, "\(app) (\(env)) has no deployed release to roll back from")
        }
        let targetVersion: Int
        if let version { targetVersion = version } else {
            guard let prev = try await store.releaseVersions(app, env).last(where: { $0 < current.version }) else {
                throw RikerError(.notFound, "\(app) (\(env)) has no release before \(current.name)")
            }
            targetVersion = prev
        }
        guard let target = try await store.release(app, env, targetVersion) else {
            throw RikerError(.notFound, "\(app) (\(env)) has no release v\(targetVersion): see releases \(app)")
        }
        return try await release(from: target, env: env, config: target.config, description: "Rollback to \(target.name)", createdBy: createdBy)
    }

    /// Promotes the current release of `from` to `to`: same slug, `to`'s config.
    public func promote(_ app: String, from: String, to: String, createdBy: String) async throws -> Release {
        guard let source = try await currentRelease(app, from) else {
            throw RikerError(.notFound, "\(app) has nothing deployed in \(from) to promote")
        }
        let config = try await store.config(app, to).vars
        return try await release(from: source, env: to, config: config, description: "Promote \(from) \(source.name)", createdBy: createdBy)
    }
}
