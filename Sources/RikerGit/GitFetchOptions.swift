import Foundation

/// How a fetch proves who it is to the remote.
///
/// Secrets held here never appear in errors: messages show URLs without credentials and
/// replace the token or passphrase wherever a library message repeats it.
public enum GitCredentials: Sendable {
    /// Anonymous: public repositories, `file://`, `git://`.
    case none
    /// An `https://` token (a GitHub personal access, fine-grained or installation token),
    /// sent as HTTP basic auth `x-access-token:TOKEN` when the server asks for credentials.
    case token(String)
    /// An `ssh://` (or `user@host:path`) deploy key: an unencrypted or `passphrase`-protected
    /// private key in OpenSSH or PEM form, held in memory. The user is the URL's (`git` if none).
    case sshKey(privateKey: String, passphrase: String? = nil)
    /// As `sshKey`, read from a private key file by libssh2.
    case sshKeyFile(URL, passphrase: String? = nil)

    /// The strings that must never show in a message.
    var secrets: [String] {
        switch self {
        case .none, .sshKeyFile(_, nil), .sshKey(_, nil): return []
        case .token(let t): return [t]
        case .sshKey(_, let p?), .sshKeyFile(_, let p?): return [p]
        }
    }
}

/// Progress of a fetch's download, as libgit2's indexer reports it.
public struct GitTransferProgress: Sendable, Equatable {
    /// Objects the server's pack holds (0 when nothing needed fetching).
    public var totalObjects: Int
    public var receivedObjects: Int
    public var indexedObjects: Int
    /// Objects the pack referred to that were already here (thin-pack bases).
    public var localObjects: Int
    public var receivedBytes: Int

    public init(totalObjects: Int = 0, receivedObjects: Int = 0, indexedObjects: Int = 0, localObjects: Int = 0, receivedBytes: Int = 0) {
        self.totalObjects = totalObjects; self.receivedObjects = receivedObjects; self.indexedObjects = indexedObjects
        self.localObjects = localObjects; self.receivedBytes = receivedBytes
    }
}

/// Settings of one `GitRepository.fetchBranch`.
public struct GitFetchOptions: Sendable {
    public var credentials: GitCredentials
    /// SSH host keys to accept, one per entry, in `known_hosts` form
    /// (`[host[,host…]] ssh-ed25519 AAAA… [comment]`). An ssh fetch from a host whose key is
    /// not listed is refused (there is no trust-on-first-use). Ignored for other transports.
    public var knownHosts: [String]
    /// Give up after this many seconds (nil: no limit). Checked whenever libgit2 reports
    /// progress or asks for credentials, so a server that goes silent mid-transfer is not
    /// interrupted by it (libgit2 1.5 has no socket time limit).
    public var timeout: Double?
    /// Polled as the fetch progresses; true stops it with a `CancellationError`.
    public var isCancelled: (@Sendable () -> Bool)?
    /// Called with the download's progress as objects arrive (on the fetching thread).
    public var onProgress: (@Sendable (GitTransferProgress) -> Void)?

    public init(credentials: GitCredentials = .none, knownHosts: [String] = [], timeout: Double? = 600,
                isCancelled: (@Sendable () -> Bool)? = nil, onProgress: (@Sendable (GitTransferProgress) -> Void)? = nil) {
        self.credentials = credentials; self.knownHosts = knownHosts; self.timeout = timeout
        self.isCancelled = isCancelled; self.onProgress = onProgress
    }
}

/// What `fetchBranch` did.
public struct GitFetchResult: Sendable, Equatable {
    /// The branch's tip as fetched: the commit the local reference now names.
    public var commit: String
    /// What the local reference named before (nil: it did not exist).
    public var previousCommit: String?
    /// The reference that was updated (`refs/remotes/origin/main`).
    public var localReference: String
    /// The download's final counts (all zero when nothing new was needed).
    public var transfer: GitTransferProgress

    public init(commit: String, previousCommit: String?, localReference: String, transfer: GitTransferProgress) {
        self.commit = commit; self.previousCommit = previousCommit; self.localReference = localReference; self.transfer = transfer
    }
}
