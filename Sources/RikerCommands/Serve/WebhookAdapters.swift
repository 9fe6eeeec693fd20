import Foundation
import Logging
import RikerCore
import RikerGitHub
import RikerReceive
import RikerRelease
import RikerServer

/// The build queue's fetcher: `WebhookPipeline.fetch`.
struct PipelineFetcher: SourceFetcher {
    let pipeline: WebhookPipeline
    func fetch(_ request: FetchRequest) async throws -> String {
        try await pipeline.fetch(app: request.app, branch: request.branch, url: request.repositoryURL)
    }
}

/// The build queue's runner: `WebhookPipeline.deploy`, the same pipeline an SSH push runs.
struct PipelineRunner: BuildRunner {
    let pipeline: WebhookPipeline
    func run(_ job: BuildJob) async throws -> BuildResult {
        let release = try await pipeline.deploy(app: job.app, env: job.env, branch: job.branch, commit: job.commit,
                                                createdBy: job.createdBy, output: job.output)
        return BuildResult(release: release.name)
    }
}

/// Commit statuses on GitHub for apps with a `webhook.token` (context `riker/ENV`); nothing
/// for apps without one. Best effort: a failure is logged (without the token) and the build goes on.
struct GitHubCommitStatuses: CommitStatusReporter {
    let store: any ReleaseStore
    let logger: Logger

    func report(_ state: CommitState, app: String, env: String, repository: String?, commit: String, build: String, description: String) async {
        guard let repository, let settings = try? await store.app(app)?.settings,
              let token = settings.settings["webhook.token"], !token.isEmpty else { return }
        let parts = repository.split(separator: "/")
        guard parts.count == 2 else { return }
        let api = settings.settings["webhook.api"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.github.com"
        let client = GitHubStatusClient(token: token, apiBase: api, logger: logger)
        let mapped: CommitStatus.State = switch state {
        case .pending: .pending
        case .success: .success
        case .failure: .failure
        case .error: .error
        }
        await client.post(CommitStatus(state: mapped, context: "riker/\(env)", description: String(description.prefix(140))),
                          repository: GitHubRepository(owner: String(parts[0]), name: String(parts[1])), commit: commit)
    }
}
