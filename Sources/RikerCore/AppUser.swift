import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An unprivileged identity a process is started as: a uid and gid of its own, with no
/// supplementary groups and no way to gain privileges (setpriv(1) from util-linux). Riker runs
/// as root on its embedded default; builds and apps never do.
public struct AppUser: Sendable, Equatable, Codable, CustomStringConvertible {
    public var uid: uid_t
    public var gid: gid_t

    public init(uid: uid_t, gid: gid_t) { self.uid = uid; self.gid = gid }

    /// An account of this host (`--app-user riker` on instances whose agent runs as root).
    /// Throws `.invalidInput` when there is none, or when processes cannot be switched to it.
    public init(account name: String) throws {
        guard let pw = getpwnam(name) else {
            throw RikerError(.invalidInput, "--app-user \(name): no such account on this host (create it: useradd --system \(name))")
        }
        guard Self.canSwitch else {
            throw RikerError(.invalidInput, "--app-user \(name) needs riker-agent to run as root and \(Self.setpriv) (apt-get install util-linux)")
        }
        self.init(uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    public var description: String { "uid \(uid)" }

    static let setpriv = "/usr/bin/setpriv"

    /// True when processes can be started as another user: Riker is root and setpriv exists.
    public static var canSwitch: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv) }

    /// `spec` started as this user (through setpriv, which execs it with the same environment).
    public func wrap(_ spec: ProcessSpec) throws -> ProcessSpec {
        let program = try ChildProcess.resolveExecutable(spec.executable, path: spec.environment["PATH"])
        var wrapped = spec
        wrapped.executable = Self.setpriv
        wrapped.arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--no-new-privs", "--", program] + spec.arguments
        return wrapped
    }

    /// Gives `url` (recursively, symlinks not followed) to this user, mode `mode` at its top.
    public func own(_ url: URL, mode: mode_t) throws { try own([url], mode: mode) }

    /// Gives each of `urls` (recursively, symlinks not followed) to this user, mode `mode` at
    /// its top: one chown for all of them.
    public func own(_ urls: [URL], mode: mode_t) throws {
        guard !urls.isEmpty else { return }
        let spec = ProcessSpec("/bin/chown", ["-R", "--no-dereference", "\(uid):\(gid)", "--"] + urls.map(\.path),
                               environment: ["PATH": "/usr/bin:/bin"])
        let (out, status) = try ProcessRunner.capture(spec, timeout: 300)
        guard status.succeeded else {
            let what = urls.count == 1 ? urls[0].path : "\(urls[0].path) and \(urls.count - 1) more"
            throw RikerError(.io, "cannot give \(what) to \(self): \(out.split(separator: "\n").first ?? "")")
        }
        for url in urls { chmod(url.path, mode) }
    }
}

/// The identities of an app on this machine: one uid for its builds and one for its running
/// processes, so no app (nor its build) can read or write another's files. Allocated on first
/// use from a range no distribution hands out (300000 and up, two per app), recorded in
/// `ROOT/uids.json`, and never reused.
public struct AppUsers {
    public let paths: RikerPaths
    public static let base: uid_t = 300_000

    public init(paths: RikerPaths) { self.paths = paths }

    /// The build and run users of `app`, allocated if it has none yet.
    public func users(of app: String) throws -> (build: AppUser, run: AppUser) {
        try AppName.validate(app)
        return try FileLock.withLock(paths.uidsLock) {
            var table = try load()
            let index: Int
            if let i = table[app] { index = i } else {
                index = (table.values.max() ?? -1) + 1
                table[app] = index
                try AtomicFile.write(try JSONCoding.encode(table), to: paths.uids, mode: 0o600)
            }
            let build = Self.base + uid_t(2 * index)
            return (AppUser(uid: build, gid: build), AppUser(uid: build + 1, gid: build + 1))
        }
    }

    private func load() throws -> [String: Int] {
        guard let data = try AtomicFile.read(paths.uids) else { return [:] }
        return try JSONCoding.decode([String: Int].self, from: data, what: paths.uids.path)
    }
}
