import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerGit
import RikerRelease

struct ReleasesList: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.releases.name, abstract: "List an app env's releases, newest first.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Option(help: "How many to show.") var limit = 20
    @Argument var app: String

    struct Row: Encodable { var version: Int; var commit: String; var description: String; var createdBy: String; var createdAt: Date; var current: Bool; var builder: String; var sha256: String
        enum CodingKeys: String, CodingKey { case version, commit, description, current, builder, sha256; case createdBy = "created_by"; case createdAt = "created_at" } }

    func run() async throws {
        try await reporting {
            let store = try await global.openApp(app, env: env)
            let current = try await store.current(app, env).version
            let rows = try await store.releases(app, env, limit: limit).map {
                Row(version: $0.version, commit: $0.commit, description: $0.description, createdBy: $0.createdBy, createdAt: $0.createdAt,
                    current: $0.version == current, builder: $0.builder, sha256: $0.sha256)
            }
            if global.json { try printJSON(rows); return }
            print("=== \(app) Releases (\(env))")
            if rows.isEmpty { print("No releases yet: git push to deploy") }
            let f = ISO8601DateFormatter()
            for r in rows {
                let v = "v\(r.version)".padding(toLength: 5, withPad: " ", startingAt: 0)
                print("\(v) \(r.commit.prefix(7))  \(r.description.padding(toLength: 40, withPad: " ", startingAt: 0))  \(r.createdBy)  \(f.string(from: r.createdAt))\(r.current ? "  (current)" : "")")
            }
        }
    }
}

struct Rollback: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.rollback.name, abstract: "Deploy an earlier release again, as a new release.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String
    @Argument(help: "The release to go back to (default: the one before current).") var version: String?

    func run() async throws {
        try await reporting {
            var target: Int?
            if let version {
                guard let v = parseVersion(version) ?? Int(version) else { throw RikerError(.invalidInput, "expected a release like v3, got '\(version.prefix(20))'") }
                target = v
            }
            let store = try await global.openApp(app, env: env)
            try await ReleaseActions(paths: global.paths, store: store, output: Output()).rollback(app, env, to: target, createdBy: global.actor)
        }
    }
}

struct DeployRef: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.deploy.name, abstract: "Build and deploy a ref already in the app's repository.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String
    @Argument(help: "Branch, tag or commit.") var ref: String

    func run() async throws {
        try await reporting {
            let store = try await global.openApp(app, env: env)
            guard let (settings, _) = try await store.app(app) else { throw RikerError(.notFound, "app \(app) does not exist: see apps:list") }
            let repoURL = global.paths.repo(app)
            let commit = try GitRepository.open(repoURL, environment: [:]).resolveCommit(ref)
            let output = Output()
            let release = try await Pipeline(paths: global.paths, store: store, output: output).run(PipelineRequest(
                app: app, env: env, commit: commit, ref: ref, repository: repoURL, gitEnvironment: [:], createdBy: global.actor, settings: settings))
            try? GitRepository.open(repoURL, environment: [:]).setReference("refs/tags/riker/\(env)/\(release.name)", to: commit, message: "riker release")
        }
    }
}

struct Promote: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.promote.name, abstract: "Release the slug running in one env to another, with that env's config.")
    @OptionGroup var global: GlobalOptions
    @Option var from: String
    @Option var to: String
    @Argument var app: String

    func run() async throws {
        try await reporting {
            try AppName.validate(to, kind: "environment")
            guard from != to else { throw RikerError(.invalidInput, "--from and --to name the same environment") }
            let store = try await global.openApp(app, env: from)
            try await ReleaseActions(paths: global.paths, store: store, output: Output()).promote(app, from: from, to: to, createdBy: global.actor)
        }
    }
}
