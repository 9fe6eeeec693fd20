import Foundation
import RikerCore
import RikerDeploy
import RikerGit
import RikerRelease

/// The webhook's way into the pipeline (an SSH push's is `ReceiveHook`): fetch a branch of the
/// app's GitHub repository into its bare repository, then build, release and deploy the tip.
///
/// Fetched branches go to `refs/remotes/github/BRANCH`, so a webhook never moves a branch
/// someone pushes to over SSH; the release is tagged `riker/ENV/vN` as a pushed one is. A
/// webhook build and an SSH push of the same app env wait for each other (`PushLock`).
public struct WebhookPipeline: Sendable {
    public let paths: RikerPaths
    public let store: any ReleaseStore

    /// GitHub's published ed25519 host key: what ssh fetches accept unless `webhook.known_hosts` says otherwise.
    public static let githubHostKeys = ["github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]

    public init(paths: RikerPaths, store: any ReleaseStore) { self.paths = paths; self.store = store }

    /// Fetches `branch` of `url` with the app's credentials (`webhook.token` over https,
    /// `webhook.deploy_key` over ssh) and returns its tip. Errors never show a token or key.
    public func fetch(app: String, branch: String, url: String) async throws -> String {
        let settings = try await appSettings(app)
        // On a server sharing the store with the one the app was created on, the repository
        // (a cache of GitHub's) is made on its first fetch.
        let repository = try AppRepository.ensure(app, paths: paths)
        let result = try await GitRepository.fetchBranch(repository: repository, branch: branch, from: url,
                                                         into: "refs/remotes/github/\(branch)", options: try Self.fetchOptions(settings, url: url))
        return result.commit
    }

    /// Builds, releases and deploys `commit` (fetched before) to `env`; returns the release.
    public func deploy(app: String, env: String, branch: String, commit: String, createdBy: String, output: Output) async throws -> Release {
        let settings = try await appSettings(app)
        try AppName.validate(env, kind: "environment")
        let repository = paths.repo(app)
        var lock: PushLock?
        if let me = ProcessIdentity.of(getpid()) {
            let l = PushLock(paths: paths, app: app, env: env, owner: me)
            try await l.acquire(output: output, what: "\(app) (\(env))")
            lock = l
        }
        defer { lock?.release() }
        let release = try await Pipeline(paths: paths, store: store, output: output).run(PipelineRequest(
            app: app, env: env, commit: commit, ref: "refs/heads/\(branch)", repository: repository, gitEnvironment: [:],
            createdBy: createdBy, settings: settings))
        do {
            try GitRepository.open(repository, environment: [:])
                .setReference("refs/tags/riker/\(env)/\(release.name)", to: commit, message: "riker release")
        } catch {
            output.detail("could not tag riker/\(env)/\(release.name): \(error.userMessage)")
        }
        return release
    }

    /// How a fetch of `url` authenticates, from the app's settings.
    static func fetchOptions(_ settings: AppSettings, url: String) throws -> GitFetchOptions {
        let values = settings.settings
        let isHTTP = url.hasPrefix("https://") || url.hasPrefix("http://")
        let isSSH = url.hasPrefix("ssh://") || (!url.contains("://") && url.contains("@") && url.contains(":"))
        var options = GitFetchOptions()
        if isHTTP, let token = values["webhook.token"], !token.isEmpty {
            options.credentials = .token(token)
        } else if isSSH {
            guard let key = values["webhook.deploy_key"], !key.isEmpty else {
                throw RikerError(.invalidInput, "\(settings.name) fetches over ssh without a deploy key: run webhook:key \(settings.name) and add the key to the repository on GitHub")
            }
            options.credentials = .sshKey(privateKey: key)
        }
        if let hosts = values["webhook.known_hosts"], !hosts.isEmpty {
            options.knownHosts = hosts.split(whereSeparator: { $0 == ";" || $0 == "\n" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            options.knownHosts = githubHostKeys
        }
        return options
    }

    private func appSettings(_ app: String) async throws -> AppSettings {
        guard let (settings, _) = try await store.app(app) else { throw RikerError(.notFound, "app \(app) no longer exists") }
        return settings
    }
}
