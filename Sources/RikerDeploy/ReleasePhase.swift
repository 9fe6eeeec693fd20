import Foundation
import RikerAgent
import RikerCore
import RikerRelease

/// The commands a deploy runs once, on the deploying server, for every target (this machine
/// or an Auto Scaling Group): the Procfile's `release` command before any instance switches
/// (Heroku's release phase), and app.json's `scripts.postdeploy` after the app env's first
/// successful deploy. Both run as a process of the release would (`OneOffRunner`: the slug
/// unpacked or the image, the release's config, `.profile.d`), with
/// `deploy.release_timeout_seconds`, their output streamed to the pusher.
public struct ReleasePhase {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public let output: Output

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    /// The agent directory one-off commands of an app env install into.
    public static func directory(_ paths: RikerPaths, app: String, env: String) -> URL {
        paths.instanceDir(app: app, env: env, instance: "one-off")
    }

    /// Runs the release's `release` command, if its Procfile has one. Throws `.deployFailed`
    /// (after showing the output's last lines) when it exits non-zero, times out, or cannot run.
    public func runReleaseCommand(_ release: Release, settings: DeploySettings) async throws {
        guard let command = release.processTypes[Formation.releaseType], !command.isEmpty else { return }
        output.step("Running release command: \(command)")
        let run = try await self.run(release, type: Formation.releaseType, command: command, settings: settings)
        if let problem = run.problem {
            showTail(run, settings: settings)
            throw RikerError(.deployFailed, "the release command \(problem)")
        }
        output.detail("Release command done")
    }

    /// After a successful deploy: runs app.json's `scripts.postdeploy` if the app env has not
    /// run it yet, and remembers in the store that it did. A failure is shown (the deploy
    /// stands) and it runs again after the next deploy. Never throws.
    public func runPostdeploy(_ release: Release, settings: DeploySettings) async {
        guard let command = release.manifest?.scripts.postdeploy, !command.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let key = StoreLayout.postdeploy(release.app, release.env)
        do {
            if try await store.head(key) != nil { return }
            output.step("Running postdeploy (app.json, first deploy of \(release.env)): \(command)")
            let run = try await self.run(release, type: "postdeploy", command: command, settings: settings)
            if let problem = run.problem {
                showTail(run, settings: settings)
                output.error("postdeploy \(problem); \(release.name) is deployed, and postdeploy runs again after the next deploy")
                return
            }
            let record = PostdeployRecord(release: release.version, command: command, ranAt: Date())
            try await store.put(key, try JSONCoding.encode(record), condition: .always)
            output.detail("Postdeploy done")
        } catch {
            output.error("postdeploy could not run: \(error.userMessage); it runs again after the next deploy")
        }
    }

    /// One run and what it printed.
    struct Run {
        var result: OneOffRunner.Result
        var tail: [String]
        var lines: Int
        let timeout: Double

        /// What went wrong, as the end of a sentence; nil when it succeeded.
        var problem: String? {
            if result.timedOut { return "did not finish within \(Int(timeout))s (deploy.release_timeout_seconds) and was stopped" }
            return result.status.succeeded ? nil : "failed (\(result.status))"
        }
    }

    private func run(_ release: Release, type: String, command: String, settings: DeploySettings) async throws -> Run {
        let dir = Self.directory(paths, app: release.app, env: release.env)
        // The app's own user must reach its release dir through here, and list nothing (as for the local agents).
        for level in [paths.instancesDir, dir.deletingLastPathComponent().deletingLastPathComponent(), dir.deletingLastPathComponent()] {
            try FileManager.default.createDirectory(at: level, withIntermediateDirectories: true)
            chmod(level.path, 0o711)
        }
        let user = AppUser.canSwitch ? try AppUsers(paths: paths).users(of: release.app).run : nil
        let runner = OneOffRunner(store: store, directory: dir, containerStorage: paths.containerStorage, user: user)
        let collected = LineTail(keep: settings.failureLines)
        let output = self.output
        let result = try await runner.run(release, type: type, command: command, timeout: settings.releaseTimeout) { line in
            collected.add(line)
            output.detail(line)
        }
        let (tail, count) = collected.snapshot
        return Run(result: result, tail: tail, lines: count, timeout: settings.releaseTimeout)
    }

    /// The output's last lines again when it was longer than that (shorter output is right above).
    private func showTail(_ run: Run, settings: DeploySettings) {
        guard run.lines > run.tail.count else { return }
        output.detail("Its last \(run.tail.count) lines:")
        for line in run.tail { output.detail("  " + line) }
    }
}

/// `apps/APP/ENV/postdeploy`: app.json's postdeploy ran (successfully) in this app env.
struct PostdeployRecord: Codable {
    var release: Int
    var command: String
    var ranAt: Date

    enum CodingKeys: String, CodingKey {
        case release, command
        case ranAt = "ran_at"
    }
}

extension StoreLayout {
    /// Present once app.json's `scripts.postdeploy` has run in the app env (`PostdeployRecord`).
    public static func postdeploy(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/postdeploy" }
}

/// The last `keep` lines of a stream, and how many there were; fed from the runner's thread.
final class LineTail: @unchecked Sendable {
    private let lock = NSLock()
    private let keep: Int
    private var lines: [String] = []
    private var count = 0

    init(keep: Int) { self.keep = max(1, keep) }

    func add(_ line: String) {
        lock.withLock {
            lines.append(line)
            count += 1
            if lines.count > keep * 2 { lines.removeFirst(lines.count - keep) }
        }
    }

    var snapshot: ([String], Int) { lock.withLock { (Array(lines.suffix(keep)), count) } }
}
