import Foundation
import RikerCore
import RikerDeploy
import RikerHTTP
import RikerRelease

/// Builds of pushes received by an unprivileged Riker user (an install: sshd runs the forced
/// command as `riker`), handed to `riker serve`, which runs as root and so can build each app
/// as its own build user, as it does for webhooks.
///
/// serve writes `ROOT/run/serve.json` (its port and a random token, readable by the root's
/// owner alone); pre-receive, seeing it is not root, posts the push there
/// (`POST /internal/push`, the token as a bearer token) and follows the build's record and log
/// in the store, printing what the build prints, until it is over.
public enum DelegatedPush {
    /// What pre-receive sends.
    public struct Request: Codable, Sendable {
        public var app: String
        public var env: String
        public var branch: String
        public var ref: String
        public var commit: String
        public var pusher: String
        /// git's quarantine variables: where the pushed objects are until the push is accepted.
        public var gitEnvironment: [String: String]

        enum CodingKeys: String, CodingKey {
            case app, env, branch, ref, commit, pusher
            case gitEnvironment = "git_environment"
        }

        public init(app: String, env: String, branch: String, ref: String, commit: String, pusher: String, gitEnvironment: [String: String]) {
            self.app = app; self.env = env; self.branch = branch; self.ref = ref; self.commit = commit; self.pusher = pusher
            self.gitEnvironment = gitEnvironment
        }
    }

    /// Where serve listens for delegated pushes.
    public struct Endpoint: Codable, Sendable {
        public var port: Int
        public var token: String

        public static func file(_ paths: RikerPaths) -> URL { paths.root.appendingPathComponent("run/serve.json") }

        /// Written by serve once it listens: 0600, owned by the root's owner (who pushes).
        public static func publish(port: Int, token: String, paths: RikerPaths) throws {
            let file = Self.file(paths)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(try JSONCoding.encode(Endpoint(port: port, token: token)), to: file, mode: 0o600)
            DelegatedPush.giveToRootOwner(file.deletingLastPathComponent(), paths: paths)
        }

        /// The endpoint, when a root serve published one for this root.
        public static func read(_ paths: RikerPaths) -> Endpoint? {
            let file = Self.file(paths)
            var info = stat()
            guard stat(file.path, &info) == 0, let data = try? AtomicFile.read(file) else { return nil }
            return try? JSONCoding.decode(Endpoint.self, from: data, what: "serve endpoint")
        }
    }

    /// The git variables a delegated build may use: only object directories inside the app's repository.
    static let quarantineVariables = ["GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"]

    /// serve's side: checks the request and starts the build in the background; returns its id.
    /// The build is journaled (record and log in the store) and, when it succeeds, the
    /// release's tag is left for post-receive as for any push.
    public static func start(_ request: Request, paths: RikerPaths, store: any ReleaseStore) async throws -> String {
        try AppName.validate(request.app)
        try AppName.validate(request.env, kind: "environment")
        guard request.commit.count == 40, request.commit.allSatisfy(\.isHexDigit) else {
            throw RikerError(.invalidInput, "'\(request.commit.prefix(50))' is not a commit id")
        }
        guard request.ref == "refs/heads/\(request.branch)" else { throw RikerError(.invalidInput, "ref and branch disagree") }
        let repository = paths.repo(request.app)
        let objects = repository.appendingPathComponent("objects").standardizedFileURL.path
        var gitEnvironment: [String: String] = [:]
        for (key, value) in request.gitEnvironment {
            guard quarantineVariables.contains(key) else { throw RikerError(.invalidInput, "git variable \(key.prefix(40)) is not accepted") }
            for path in value.split(separator: ":") {
                let given = URL(fileURLWithPath: String(path)).standardizedFileURL.path
                if given == objects || given.hasPrefix(objects + "/") { continue }
                throw RikerError(.invalidInput, "\(key) must name object directories of \(request.app)'s repository")
            }
            gitEnvironment[key] = value
        }
        guard let (settings, _) = try await store.app(request.app) else { throw RikerError(.notFound, "app \(request.app) does not exist") }
        let record = BuildRecord(app: request.app, env: request.env, branch: request.branch, ref: request.ref, commit: request.commit,
                                 source: "push", createdBy: request.pusher)
        try await BuildRecords(store: store).save(record)
        Task.detached {
            let output = Output.null
            let hook = ReceiveHook(paths: paths, store: store, output: output)
            do {
                let release = try await BuildJournal(store: store, paths: paths).record(record, output: output) {
                    try await Pipeline(paths: paths, store: store, output: output).run(PipelineRequest(
                        app: request.app, env: request.env, commit: request.commit, ref: request.ref, repository: repository,
                        gitEnvironment: gitEnvironment, createdBy: request.pusher, settings: settings))
                }
                try hook.recordPendingTag(app: request.app, commit: request.commit, tag: "refs/tags/riker/\(request.env)/\(release.name)")
                Self.giveToRootOwner(paths.pendingTags(request.app), paths: paths)
            } catch {
                // The journal has the failure; pre-receive reads it from there.
            }
        }
        return record.id
    }

    /// pre-receive's side: posts the push to serve and prints the build's output as it is
    /// stored, until the build is over. Throws with the build's error when it failed.
    public static func run(_ request: Request, endpoint: Endpoint, store: any ReleaseStore, output: Output) async throws -> String? {
        let body = try JSONCoding.encode(request)
        let response: HTTPResponse
        do {
            response = try await Blocking.run {
                try HTTPClient.perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(endpoint.port)/internal/push",
                                               headers: ["Authorization": "Bearer \(endpoint.token)", "Content-Type": "application/json"],
                                               body: .data(body), timeout: 60))
            }
        } catch {
            throw RikerError(.deployFailed, "cannot hand the build to riker serve on 127.0.0.1:\(endpoint.port) (is it running? systemctl status riker-serve): \(error.userMessage)")
        }
        struct Answer: Decodable { var build: String?; var error: String? }
        let answer = try? JSONDecoder().decode(Answer.self, from: response.body)
        guard response.status == 202, let id = answer?.build else {
            throw RikerError(.deployFailed, "riker serve refused the build (HTTP \(response.status)): \(answer?.error ?? "no reason given")")
        }
        let record = try await BuildJournal.follow(store: store, app: request.app, id: id) { data in output.raw(data) }
        guard record.status == .succeeded else {
            throw RikerError(.deployFailed, "build \(id) failed: \(record.error ?? "see its output")")
        }
        return record.release
    }

    /// Files root makes where the unprivileged owner of the root must change them later.
    static func giveToRootOwner(_ url: URL, paths: RikerPaths) {
        var info = stat()
        guard geteuid() == 0, stat(paths.root.path, &info) == 0, info.st_uid != 0 else { return }
        chown(url.path, info.st_uid, info.st_gid)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
            chown(url.appendingPathComponent(name).path, info.st_uid, info.st_gid)
        }
    }
}
