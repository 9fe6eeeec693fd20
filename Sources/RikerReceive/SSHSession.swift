import Foundation
import RikerCore
import RikerRelease

/// The SSH forced command: `riker ssh-command NAME`, run by sshd for key NAME.
///
/// Parses `SSH_ORIGINAL_COMMAND` (never through a shell), authorizes the key, creates an app
/// on an admin's first push, then replaces itself with git-receive-pack / git-upload-pack or
/// with `riker VERB ARGS…`. Refusals are one line on stderr and a non-zero exit, with nothing
/// created or changed.
public struct SSHSession {
    public let paths: RikerPaths
    public let store: any ReleaseStore

    public init(paths: RikerPaths, store: any ReleaseStore) {
        self.paths = paths
        self.store = store
    }

    /// Does everything up to the exec; returns the program, arguments and environment to exec.
    public func prepare(keyName: String, command: String?) async throws -> (program: String, arguments: [String], environment: [String: String]) {
        let ring = KeyRing(paths: paths, rikerBinary: Installation.rikerBinary.path)
        guard AppName.isValid(keyName), let key = try ring.key(named: keyName) else {
            throw RikerError(.permissionDenied, "this key is no longer registered with Riker")
        }
        let request = try SSHCommandParser.parse(command)
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
            return (try ChildProcess.resolveExecutable("git", path: env["PATH"]), ["receive-pack", paths.repo(app).path], env)
        case .uploadPack(let app):
            guard AppRepository.exists(app, paths: paths) else {
                throw RikerError(.notFound, "app \(app) has no repository yet: push to it first")
            }
            return (try ChildProcess.resolveExecutable("git", path: env["PATH"]), ["upload-pack", paths.repo(app).path], env)
        case .admin(let verb, let args):
            return (Installation.rikerBinary.path, ["--root", paths.root.path, verb.name] + args, env)
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
