import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerGitHub
import RikerRelease
import RikerServer

/// `riker builds APP`: the app's builds, newest first, from their records (`builds/APP/ID.json`).
struct BuildsList: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.builds.name,
                                                    abstract: "List an app's builds (pushes, webhooks, deploy APP REF), newest first: status, env, commit, builder, duration, who, release.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this environment's builds.") var env: String?
    @Option(help: "How many to show.") var limit = 20
    @Argument var app: String

    func run() async throws {
        try await reporting {
            guard limit > 0 else { throw RikerError(.invalidInput, "--limit must be 1 or more") }
            let store = try await global.openApp(app, env: nil)
            let records = try await BuildRecords(store: store).list(app: app, limit: limit * 2)
                .filter { env == nil || $0.env == env }.prefix(limit)
            if global.json { try printJSON(Array(records)); return }
            print("=== \(app) Builds" + (env.map { " (\($0))" } ?? ""))
            if records.isEmpty { print("No builds yet: git push, or point a GitHub push webhook at riker serve (see the README)") }
            let f = ISO8601DateFormatter()
            for r in records {
                let commit = String((r.commit ?? r.requestedCommit).prefix(7))
                let outcome = r.coalescedInto.map { "with \($0)" } ?? r.release ?? r.note.map { String($0.prefix(60)) } ?? ""
                let took = r.duration.map(DeployTimes.duration) ?? (r.isFinished ? "" : "running")
                print([r.id, pad(r.status.rawValue, 9), pad(r.env, 12), pad(r.source ?? "", 7), commit, pad(r.builder ?? "", 10),
                       pad(took, 7), pad(r.createdBy ?? "", 14), f.string(from: r.createdAt), outcome]
                    .joined(separator: "  ") + (r.error.map { "  (\($0.prefix(120)))" } ?? ""))
            }
        }
    }

}

/// `riker builds:output APP ID`: what a build printed (its log, config values masked), followed while it runs.
struct BuildsOutput: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.buildsOutput.name, abstract: "Print a build's output, following it while the build runs.")
    @OptionGroup var global: GlobalOptions
    @Argument var app: String
    @Argument(help: "The build's id, as 'builds' lists it.") var id: String

    func run() async throws {
        try await reporting {
            guard BuildID.isValid(id) else { throw RikerError(.invalidInput, "'\(id.prefix(40))' is not a build id: see 'builds \(app)' for them") }
            let store = try await global.openApp(app, env: nil)
            var printed = 0
            let record = try await BuildJournal.follow(store: store, app: app, id: id) { data in
                FileHandle.standardOutput.write(data)
                printed += data.count
            }
            if printed == 0 { print("No output stored for build \(id)") }
            if record.status == .failed { print(" !     build \(id) failed: \(record.error ?? "see above")") }
        }
    }
}

/// `riker webhook:key APP`: makes the deploy key ssh fetches of `webhook.repo` use, stores its
/// private half as the secret `webhook.deploy_key`, and prints the public half to add on GitHub.
struct WebhookKey: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.webhookKey.name,
                                                    abstract: "Make a deploy key for fetching the app's GitHub repository over ssh; print its public half.")
    @OptionGroup var global: GlobalOptions
    @Argument var app: String

    func run() async throws {
        try await reporting {
            try AppName.validate(app)
            let key = DeployKey.generate(comment: "riker-\(app)")
            try await global.openStore().updateApp(app) { s in s.settings["webhook.deploy_key"] = key.privateKey }
            print("""
            Deploy key for \(app) (\(key.fingerprint)). Add it to the repository on GitHub: Settings → Deploy keys →
            Add deploy key, read access only, then set webhook.repo to the repository's ssh URL (git@github.com:OWNER/REPO.git).

            \(key.publicKey)
            """)
        }
    }
}
