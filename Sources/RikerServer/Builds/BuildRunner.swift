import Foundation
import RikerCore

/// One build the scheduler runs: the tip of `branch` as fetched, for one app env.
public struct BuildJob: Sendable {
    /// The build that runs (the newest delivery's); `coalesced` are the other builds it covers.
    public var buildID: String
    public var coalesced: [String]
    public var app: String
    public var env: String
    public var branch: String
    public var ref: String
    /// The commit to build: the branch tip the fetcher returned.
    public var commit: String
    /// The delivery ids this build answers.
    public var deliveries: [String]
    /// Who asked, for the release's `created_by` (`github:PUSHER`).
    public var createdBy: String
    /// Where build and deploy progress goes (the build log).
    public var output: Output
}

/// What a build produced.
public struct BuildResult: Sendable, Equatable {
    /// The release made and deployed (`v12`).
    public var release: String?
    public init(release: String?) { self.release = release }
}

/// Builds, releases and deploys a fetched commit (the lead wires `Pipeline`). Throws with a
/// one-line reason when the build or the deploy failed.
public protocol BuildRunner: Sendable {
    func run(_ job: BuildJob) async throws -> BuildResult
}

/// Where a build's source comes from.
public struct FetchRequest: Sendable, Equatable {
    public var app: String
    public var branch: String
    /// `webhook.repo` of the app, else the repository's clone URL from the delivery.
    public var repositoryURL: String
}

/// Fetches a branch into the app's bare repository (libgit2: https with `webhook.token`,
/// ssh with the deploy key, file:// and git:// in tests) and returns the branch's tip commit
/// as fetched. Throws with a one-line reason (never a token or key). The scheduler runs one
/// fetch per app at a time; it runs on the build's own thread, so it may block.
public protocol SourceFetcher: Sendable {
    func fetch(_ request: FetchRequest) async throws -> String
}

/// A commit status on GitHub.
public enum CommitState: String, Sendable {
    case pending, success, failure, error
}

/// Sets commit statuses (GitHub's statuses API). Never throws: an unreachable GitHub must not
/// fail a build; implementations log and move on.
public protocol CommitStatusReporter: Sendable {
    /// `repository` is `owner/name` (from the delivery), `build` the build's id.
    func report(_ state: CommitState, app: String, env: String, repository: String?, commit: String, build: String, description: String) async
}

/// Reports nothing (apps without `webhook.token`).
public struct NoCommitStatus: CommitStatusReporter {
    public init() {}
    public func report(_ state: CommitState, app: String, env: String, repository: String?, commit: String, build: String, description: String) async {}
}
