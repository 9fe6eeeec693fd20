import Foundation
import RikerCore
import RikerRelease

/// What an SSH session goes on to do once its command is parsed and its key known.
public enum SSHAction {
    /// Replace this process with git-receive-pack / git-upload-pack.
    case exec(program: String, arguments: [String], environment: [String: String])
    /// Run a verb in this process, for `key` (authorized once its arguments are parsed).
    case verb(Verb, arguments: [String], key: SSHKey)
}

/// The SSH forced command: `riker ssh-command NAME`, run by sshd for key NAME.
///
/// Parses `SSH_ORIGINAL_COMMAND` (never through a shell), authorizes the key for git, creates
/// an app on an admin's first push, then replaces itself with git-receive-pack /
/// git-upload-pack; verbs run in the same process (their arguments, which may hold config
/// values, never reach a command line). Refusals are one line on stderr and a non-zero exit,
/// with nothing created or changed.
public struct SSHSession {
    public let paths: RikerPaths
    public let store: any ReleaseStore

    public init(paths: RikerPaths, store: any ReleaseStore) {
        self.paths = paths
        self.store = store
    }

    /// Does everything up to the exec or the verb; returns which.
    public func prepare(keyName: String, command: String?) async throws -> SSHAction {
        PhaseTrace.started("ssh-command.start-up")
        let prepareStart = ContinuousClock.now
        defer { PhaseTrace.end("ssh-command.prepare", since: prepareStart) }
        let ring = KeyRing(paths: paths, rikerBinary: Installation.rikerBinary.path)
        guard AppName.isValid(keyName), let key = try ring.key(named: keyName) else {
            throw RikerError(.permissionDenied, "this key is no longer registered with Riker")
        }
        let request = try SSHCommandParser.parse(command)
        if case .admin(let verb, let args) = request {
            // The root is the server's: no global option comes from the client.
            if let bad = args.first(where: { $0 == "--root" || $0.hasPrefix("--root=") }) {
                throw RikerError(.invalidInput, "'\(bad.prefix(20))' is not accepted over SSH: the server chooses its root")
            }
            return .verb(verb, arguments: args, key: key)
        }
        try Access.authorize(key, request)

        var env = ProcessInfo.processInfo.environment
        env["RIKER_ROOT"] = paths.root.path
        env["RIKER_BIN"] = Installation.rikerBinary.path
        env["RIKER_KEY_NAME"] = key.name
        switch request {
        case .receivePack(let app):
            if try await Apps(paths: paths, store: store).ensure(app, mayCreate: key.admin) {
                FileHandle.standardError.write(Data("-----> Created app \(app)\n".utf8))
            }
            return .exec(program: try ChildProcess.resolveExecutable("git", path: env["PATH"]), arguments: ["receive-pack", paths.repo(app).path], environment: env)
        case .uploadPack(let app):
            guard AppRepository.exists(app, paths: paths) else {
                throw RikerError(.notFound, "app \(app) has no repository yet: push to it first")
            }
            return .exec(program: try ChildProcess.resolveExecutable("git", path: env["PATH"]), arguments: ["upload-pack", paths.repo(app).path], environment: env)
        case .admin:
            preconditionFailure("verbs returned above")
        }
    }

    /// Replaces the current process with `program` (execve). Returns only on failure.
    public static func exec(_ program: String, _ arguments: [String], _ environment: [String: String]) -> RikerError {
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve(program, argv, envp)
        return RikerError.posix("cannot run", path: program)
    }
}
