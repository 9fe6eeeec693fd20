import CGit2
import Foundation
import RikerCore

extension GitRepository {
    /// Fetches `branch` of the repository at `url` into the local reference `localReference`
    /// (default `refs/remotes/origin/BRANCH`), forced (a force-pushed branch moves back too),
    /// and returns the commit it now names. Only objects this repository lacks are
    /// transferred; tags are not fetched, FETCH_HEAD is not written.
    ///
    /// URLs: `https://` (with `.token`), `ssh://[user@]host[:port]/path` and
    /// `user@host:path` (with `.sshKey`/`.sshKeyFile`; the host key must be in
    /// `options.knownHosts`), `git://`, `file://` and local paths.
    ///
    /// Blocks the calling thread (see the async `fetchBranch(repository:…)`). Throws
    /// `.invalidInput` for a bad branch or reference name, `.notFound` when the remote has no
    /// such branch, `.permissionDenied` for refused or missing credentials and unknown host
    /// keys, `.timeout` past `options.timeout`, `CancellationError` when `options.isCancelled`
    /// says so, and `.git` for anything else (libgit2's message). No message carries the
    /// token, the passphrase or a password in the URL. On failure the reference is unchanged.
    public func fetchBranch(_ branch: String, from url: String, into localReference: String? = nil,
                            options: GitFetchOptions = GitFetchOptions()) throws -> GitFetchResult {
        let source = "refs/heads/\(branch)"
        let target = localReference ?? "refs/remotes/origin/\(branch)"
        guard !branch.isEmpty, !branch.hasPrefix("-"), Self.isValidReferenceName(source) else {
            throw RikerError(.invalidInput, "'\(branch)' is not a valid branch name")
        }
        guard Self.isValidReferenceName(target), target.hasPrefix("refs/") else {
            throw RikerError(.invalidInput, "'\(target)' is not a valid reference name (e.g. refs/remotes/origin/main)")
        }
        let session = try GitFetchSession(url: url, branch: branch, options: options)
        let what = "cannot fetch branch '\(branch)' from \(session.shownURL)"
        let previous = try? commitObject(target).id

        var out: OpaquePointer?
        try session.check(git_remote_create_anonymous(&out, pointer, url), "invalid git URL \(session.shownURL)")
        let remote = GitRemote(out!, url: url)
        var callbacks = try session.callbacks()
        var fetchOptions = git_fetch_options()
        try gitCheck(git_fetch_options_init(&fetchOptions, UInt32(GIT_FETCH_OPTIONS_VERSION)), "cannot initialise fetch options")
        fetchOptions.callbacks = callbacks
        fetchOptions.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        fetchOptions.update_fetchhead = 0
        fetchOptions.prune = GIT_FETCH_NO_PRUNE

        let tip: String = try withExtendedLifetime(session) {
            try session.check(git_remote_connect(remote.pointer, GIT_DIRECTION_FETCH, &callbacks, nil, nil), what)
            defer { git_remote_disconnect(remote.pointer) }
            guard let tip = try remoteHead(remote, named: source, session: session, what: what) else {
                throw RikerError(.notFound, "branch '\(branch)' does not exist in \(session.shownURL)")
            }
            try withGitStrarray(["+\(source):\(target)"]) { specs in
                try session.check(git_remote_download(remote.pointer, specs, &fetchOptions), what)
            }
            try session.check(git_remote_update_tips(remote.pointer, &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE,
                                                     "riker: fetch \(branch) from \(session.shownURL)"), what)
            return tip
        }
        let fetched = try commitObject(target).id
        guard fetched == tip else {
            throw RikerError(.git, "\(what): \(target) is at \(fetched) after the fetch, but the branch is at \(tip)")
        }
        var transfer = session.progress
        if let stats = git_remote_stats(remote.pointer)?.pointee {
            transfer = GitTransferProgress(totalObjects: Int(stats.total_objects), receivedObjects: Int(stats.received_objects),
                                           indexedObjects: Int(stats.indexed_objects), localObjects: Int(stats.local_objects),
                                           receivedBytes: Int(stats.received_bytes))
        }
        return GitFetchResult(commit: fetched, previousCommit: previous, localReference: target, transfer: transfer)
    }

    /// `fetchBranch` on a thread of its own, opening the repository at `repository` there.
    /// Cancelling the task stops the fetch at libgit2's next progress report.
    public static func fetchBranch(repository: URL, branch: String, from url: String, into localReference: String? = nil,
                                   options: GitFetchOptions = GitFetchOptions()) async throws -> GitFetchResult {
        let cancelled = CancelFlag()
        var options = options
        let outer = options.isCancelled
        options.isCancelled = { cancelled.isSet || outer?() == true }
        let settings = options
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let thread = Thread {
                    continuation.resume(with: Result {
                        try GitRepository.open(repository, environment: [:])
                            .fetchBranch(branch, from: url, into: localReference, options: settings)
                    })
                }
                thread.stackSize = 4 << 20
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// The commit the connected remote advertises for `name`, nil when it has no such ref.
    private func remoteHead(_ remote: GitRemote, named name: String, session: GitFetchSession, what: String) throws -> String? {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try session.check(git_remote_ls(&heads, &count, remote.pointer), what)
        for i in 0..<count {
            guard let head = heads?[i]?.pointee, let headName = head.name, String(cString: headName) == name else { continue }
            return head.oid.hex
        }
        return nil
    }

    static func isValidReferenceName(_ name: String) -> Bool {
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, name) == 0 && valid != 0
    }
}

/// A flag set from one thread (a task's cancellation handler) and read on another.
private final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
