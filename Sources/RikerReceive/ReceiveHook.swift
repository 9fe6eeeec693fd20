import Foundation
import RikerCore
import RikerDeploy
import RikerGit
import RikerRelease

/// One line of a pre-/post-receive hook's input: `OLD NEW REF`.
public struct RefUpdate: Equatable, Sendable {
    public var old: String
    public var new: String
    public var ref: String

    public static let zero = String(repeating: "0", count: 40)

    public var isDeletion: Bool { new.allSatisfy { $0 == "0" } }
    /// The branch name for `refs/heads/…`, else nil.
    public var branch: String? { ref.hasPrefix("refs/heads/") ? String(ref.dropFirst(11)) : nil }

    /// Parses hook input; malformed lines are refused.
    public static func parse(_ text: String) throws -> [RefUpdate] {
        try text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0].count >= 40, parts[1].count >= 40 else {
                throw RikerError(.invalidInput, "unexpected hook input line: \(line.prefix(100))")
            }
            return RefUpdate(old: String(parts[0]), new: String(parts[1]), ref: String(parts[2]))
        }
    }
}

/// `riker hook pre-receive` / `post-receive`, run by git-receive-pack inside an app's repository.
///
/// pre-receive builds and deploys each pushed branch that maps to an environment; a failure
/// exits non-zero so git rejects the push and leaves the ref where it was. The `riker/ENV/vN`
/// tags are written by post-receive, once git has moved the pushed objects out of quarantine.
public struct ReceiveHook {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public let output: Output

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    /// The app whose repository `gitDir` is (`ROOT/repos/APP.git`).
    public static func app(ofRepository gitDir: URL) throws -> String {
        var name = gitDir.standardizedFileURL.lastPathComponent
        if name.hasSuffix(".git") { name.removeLast(4) }
        return try AppName.validate(name)
    }

    /// Returns the exit code for git: 0 accepts the push, anything else rejects it.
    ///
    /// Pushes to one app env are serialised (`PushLock`, held until post-receive), and a push
    /// whose branch moved while it waited is refused before it builds: what `current` runs is
    /// always what the branch says.
    public func preReceive(_ updates: [RefUpdate], repository: URL, pusher: String,
                           gitEnvironment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        let owner = ProcessIdentity.of(getppid())
        let hookStart = ContinuousClock.now
        defer { PhaseTrace.end("hook.pre-receive", since: hookStart) }
        do {
            let app = try Self.app(ofRepository: repository)
            guard let (settings, _) = try await PhaseTrace.measure("hook.read-app", { try await store.app(app) }) else {
                throw RikerError(.notFound, "app \(app) does not exist in the store \(store.url)")
            }
            for update in updates {
                guard let branch = update.branch else { continue }
                if update.isDeletion {
                    output.step("Branch \(branch) deleted; nothing deployed")
                    continue
                }
                guard let env = settings.environment(forBranch: branch) else {
                    output.step("Branch \(branch) maps to no environment; stored, nothing deployed")
                    continue
                }
                try AppName.validate(env, kind: "environment")
                try await PhaseTrace.measure("hook.lock") {
                    if let owner {
                        try await PushLock(paths: paths, app: app, env: env, owner: owner).acquire(output: output, what: "\(app) (\(env))")
                    }
                    try checkUnmoved(update, repository: repository, gitEnvironment: gitEnvironment)
                }
                if geteuid() != 0, let endpoint = DelegatedPush.Endpoint.read(paths) {
                    // An install: this user cannot switch to the app's build user, root serve can.
                    let quarantine = gitEnvironment.filter { DelegatedPush.quarantineVariables.contains($0.key) }
                    _ = try await DelegatedPush.run(DelegatedPush.Request(app: app, env: env, branch: branch, ref: update.ref, commit: update.new,
                                                                          pusher: pusher, gitEnvironment: quarantine),
                                                    endpoint: endpoint, store: store, output: output)
                    continue
                }
                let record = BuildRecord(app: app, env: env, branch: branch, ref: update.ref, commit: update.new, source: "push", createdBy: pusher)
                let release = try await BuildJournal(store: store, paths: paths).record(record, output: output) {
                    try await Pipeline(paths: paths, store: store, output: output).run(PipelineRequest(
                        app: app, env: env, commit: update.new, ref: update.ref, repository: repository, createdBy: pusher, settings: settings))
                }
                try recordPendingTag(app: app, commit: update.new, tag: "refs/tags/riker/\(env)/\(release.name)")
            }
            return 0
        } catch {
            output.error(error.userMessage)
            if let owner { PushLock.releaseAll(paths: paths, owner: owner) }
            return 1
        }
    }

    /// Refuses an update whose ref no longer holds the value the client based it on (another
    /// push moved it while this one waited): git would refuse its ref update after the deploy.
    func checkUnmoved(_ update: RefUpdate, repository: URL, gitEnvironment: [String: String]) throws {
        let repo = try GitRepository.open(repository, environment: gitEnvironment)
        let now = (try? repo.resolveCommit(update.ref)) ?? RefUpdate.zero
        guard now == update.old || (update.old.allSatisfy { $0 == "0" } && now == RefUpdate.zero) else {
            throw RikerError(.conflict, "\(update.branch ?? update.ref) moved while this push waited (another push updated it): fetch, merge and push again")
        }
    }

    /// Creates the tags pre-receive recorded for the commits that were pushed, and lets go of
    /// the push locks pre-receive took.
    public func postReceive(_ updates: [RefUpdate], repository: URL) -> Int32 {
        if let owner = ProcessIdentity.of(getppid()) { PushLock.releaseAll(paths: paths, owner: owner) }
        guard let app = try? Self.app(ofRepository: repository) else { return 0 }
        let dir = paths.pendingTags(app)
        guard let repo = try? GitRepository.open(repository, environment: [:]) else { return 0 }
        for update in updates where !update.isDeletion {
            let file = dir.appendingPathComponent(update.new)
            guard let data = try? AtomicFile.read(file) else { continue }
            for tag in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                do { try repo.setReference(String(tag), to: update.new, message: "riker release") } catch {
                    output.error("could not tag \(tag): \(error.userMessage)")
                }
            }
            try? FileManager.default.removeItem(at: file)
        }
        return 0
    }

    func recordPendingTag(app: String, commit: String, tag: String) throws {
        let file = paths.pendingTags(app).appendingPathComponent(commit)
        let old = (try AtomicFile.read(file)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        try AtomicFile.write(Data((old + tag + "\n").utf8), to: file)
    }
}
