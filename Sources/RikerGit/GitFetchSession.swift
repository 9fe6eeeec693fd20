import CGit2
import Foundation
import RikerCore

/// The state libgit2's remote callbacks share during one fetch (their payload): credentials
/// to hand out, host keys to accept, the deadline and cancel check, and the error a callback
/// stopped the fetch with, which is thrown instead of libgit2's generic one.
final class GitFetchSession {
    let url: String
    let branch: String
    let options: GitFetchOptions
    let knownHosts: SSHKnownHosts
    private let deadline: Date?
    /// Why a callback stopped the fetch (thrown by `check` instead of libgit2's message).
    private(set) var failure: Error?
    private var tokenRequests = 0
    private var keyRequests = 0
    private(set) var progress = GitTransferProgress()

    init(url: String, branch: String, options: GitFetchOptions) throws {
        self.url = url
        self.branch = branch
        self.options = options
        knownHosts = try SSHKnownHosts(lines: options.knownHosts)
        deadline = options.timeout.map { Date().addingTimeInterval($0) }
    }

    /// The URL for messages, without credentials. An ssh user (`git@`) is no secret and stays;
    /// any user part of another URL may be a token and is masked.
    var shownURL: String {
        let lower = url.lowercased()
        let sshUser = lower.hasPrefix("ssh://") && !url.dropFirst(6).prefix(while: { $0 != "@" && $0 != "/" }).contains(":")
        return sshUser ? url : displayURL(url)
    }

    /// Callbacks wired to this session; valid while the session is alive.
    func callbacks() throws -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        try gitCheck(git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION)), "cannot initialise remote callbacks")
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, _, userFromURL, allowed, payload in
            GitFetchSession.from(payload).credential(out, user: userFromURL.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            GitFetchSession.from(payload).checkCertificate(cert, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
        callbacks.transfer_progress = { stats, payload in
            GitFetchSession.from(payload).transferred(stats?.pointee)
        }
        callbacks.sideband_progress = { _, _, payload in
            GitFetchSession.from(payload).stopIfDue()
        }
        return callbacks
    }

    private static func from(_ payload: UnsafeMutableRawPointer?) -> GitFetchSession {
        Unmanaged<GitFetchSession>.fromOpaque(payload!).takeUnretainedValue()
    }

    /// Throws for a failed libgit2 call: the callback's own error if one stopped it, else
    /// libgit2's message after `what`, with every secret removed.
    func check(_ result: Int32, _ what: @autoclosure () -> String) throws {
        guard result < 0 else { return }
        if let failure { throw failure }
        throw RikerError(.git, scrub(gitError(result, what()).message))
    }

    /// `text` with the token or passphrase, any `user:password@` and any user of an http(s) URL replaced by `***`.
    func scrub(_ text: String) -> String {
        var out = text
        for secret in options.credentials.secrets where !secret.isEmpty {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        out = out.replacingOccurrences(of: #"(?i)(https?://)[^/@\s]+@"#, with: "$1***@", options: .regularExpression)
        out = out.replacingOccurrences(of: #"://[^/@:\s]+:[^/@\s]+@"#, with: "://***@", options: .regularExpression)
        return out
    }

    private func stop(_ error: Error) -> Int32 {
        failure = error
        _ = git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), scrub(error.userMessage))
        return GIT_EUSER.rawValue
    }

    /// Nonzero (stopping the fetch) once it is cancelled or past its deadline.
    private func stopIfDue() -> Int32 {
        if options.isCancelled?() == true { return stop(CancellationError()) }
        if let deadline, Date() > deadline {
            return stop(RikerError(.timeout, "fetching branch '\(branch)' from \(shownURL) took longer than \(Int(options.timeout ?? 0)) s; stopped"))
        }
        return 0
    }

    private func transferred(_ stats: git_indexer_progress?) -> Int32 {
        if let s = stats {
            progress = GitTransferProgress(totalObjects: Int(s.total_objects), receivedObjects: Int(s.received_objects),
                                           indexedObjects: Int(s.indexed_objects), localObjects: Int(s.local_objects),
                                           receivedBytes: Int(s.received_bytes))
        }
        let stopped = stopIfDue()
        if stopped == 0 { options.onProgress?(progress) }
        return stopped
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, user: String?, allowed: UInt32) -> Int32 {
        let due = stopIfDue()
        guard due == 0 else { return due }
        func allows(_ type: git_credential_t) -> Bool { allowed & type.rawValue != 0 }
        switch options.credentials {
        case .none:
            return stop(RikerError(.permissionDenied, "\(shownURL) asks for credentials: give the app a token (https) or a deploy key (ssh)"))
        case .token(let token):
            guard allows(GIT_CREDENTIAL_USERPASS_PLAINTEXT) else {
                return stop(RikerError(.permissionDenied, "\(shownURL) does not take a token; a token works with https:// URLs, ssh needs a deploy key"))
            }
            tokenRequests += 1
            guard tokenRequests == 1 else {
                return stop(RikerError(.permissionDenied, "\(shownURL) refused the token: check that it is valid and may read the repository"))
            }
            return git_credential_userpass_plaintext_new(out, "x-access-token", token)
        case .sshKey, .sshKeyFile:
            let name = user ?? "git"
            if allows(GIT_CREDENTIAL_USERNAME) && !allows(GIT_CREDENTIAL_SSH_KEY) {
                return git_credential_username_new(out, name)
            }
            guard allows(GIT_CREDENTIAL_SSH_KEY) || allows(GIT_CREDENTIAL_SSH_MEMORY) else {
                return stop(RikerError(.permissionDenied, "\(shownURL) does not take a deploy key; use an ssh:// or user@host:path URL, or a token for https"))
            }
            keyRequests += 1
            guard keyRequests == 1 else {
                return stop(RikerError(.permissionDenied, "\(shownURL) refused the deploy key for user '\(name)': add its public key to the repository's deploy keys"))
            }
            return keyCredential(out, user: name, memoryAllowed: allows(GIT_CREDENTIAL_SSH_MEMORY))
        }
    }

    private func keyCredential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, user: String, memoryAllowed: Bool) -> Int32 {
        switch options.credentials {
        case .sshKey(let key, let passphrase):
            guard memoryAllowed else {
                return stop(RikerError(.git, "this libgit2 cannot use ssh keys held in memory; give the key as a file"))
            }
            return git_credential_ssh_key_memory_new(out, user, nil, key, passphrase)
        case .sshKeyFile(let file, let passphrase):
            return git_credential_ssh_key_new(out, user, nil, file.path, passphrase)
        default:
            return GIT_PASSTHROUGH.rawValue
        }
    }

    private func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String) -> Int32 {
        let due = stopIfDue()
        guard due == 0 else { return due }
        guard let cert, cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            return GIT_PASSTHROUGH.rawValue  // TLS: libgit2's own verification against the system's CAs decides
        }
        let hostkey = UnsafeRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey else {
            return stop(RikerError(.git, "cannot check the ssh host key of \(host): libgit2 did not report it"))
        }
        let key = Data(bytes: raw, count: hostkey.hostkey_len)
        if knownHosts.accepts(host: host, key: key) { return 0 }
        let type = SSHKnownHosts.blobType(key) ?? "key"
        let fingerprint = hostkey.type.rawValue & GIT_CERT_SSH_SHA256.rawValue != 0
            ? " SHA256:" + withUnsafeBytes(of: hostkey.hash_sha256) { Data($0) }.base64EncodedString().replacingOccurrences(of: "=", with: "")
            : ""
        let pinned = knownHosts.entries.isEmpty ? "no ssh host key is pinned" : "its ssh host key is not among the pinned ones"
        return stop(RikerError(.permissionDenied, "refusing \(host): \(pinned) (it offered \(type)\(fingerprint)); if that is the server's key, pin '\(host) \(type) \(key.base64EncodedString())'"))
    }
}
