import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// The account slug releases' processes run as when the agent itself runs as root
/// (`riker-agent run --app-user NAME`): on an instance that runs image releases the agent needs
/// root for podman, and a slug app must not get it too. Each process is started through
/// setpriv(1) with the account's uid, gid and groups and no-new-privileges, and the release dir
/// (the app's `HOME`) is handed to the account before its processes start.
public struct AppUser: Sendable, Equatable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t

    static let setpriv = "/usr/bin/setpriv"

    /// Looks the account up. Throws `.invalidInput` when there is no such account, when the
    /// agent is not root (it could not switch to it) or setpriv(1) is missing.
    public init(name: String) throws {
        guard let pw = getpwnam(name) else {
            throw RikerError(.invalidInput, "--app-user \(name): no such account on this host (create it: useradd --system \(name))")
        }
        guard geteuid() == 0 else {
            throw RikerError(.invalidInput, "--app-user \(name) needs riker-agent to run as root; without it, processes run as the agent's own user")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.setpriv) else {
            throw RikerError(.invalidInput, "--app-user \(name) needs \(Self.setpriv) (apt-get install util-linux)")
        }
        self.name = name
        uid = pw.pointee.pw_uid
        gid = pw.pointee.pw_gid
    }

    /// `spec` run as this account: the same program, arguments, environment and directory.
    func wrap(_ spec: ProcessSpec) -> ProcessSpec {
        var wrapped = spec
        wrapped.executable = Self.setpriv
        wrapped.arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--no-new-privs", "--", spec.executable] + spec.arguments
        return wrapped
    }

    /// Gives `dir` and everything in it (links not followed) to this account.
    func handOver(_ dir: URL) throws {
        let spec = ProcessSpec("/bin/chown", ["-R", "--no-dereference", "\(uid):\(gid)", "--", dir.path],
                               environment: ["PATH": ReleaseEnvironment.defaultPath])
        let (out, status) = try ProcessRunner.capture(spec, timeout: 300)
        guard status.succeeded else {
            throw RikerError(.deployFailed, "cannot hand \(dir.path) to \(name): \(out.split(separator: "\n").first ?? "")")
        }
    }
}
