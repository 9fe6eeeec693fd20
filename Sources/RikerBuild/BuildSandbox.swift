import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// Where and as whom a build's processes run: a clean environment (never Riker's own, which
/// may hold secrets), the unprivileged `riker-build` user when Riker runs as root, and one
/// deadline for the whole build.
struct BuildSandbox {
    /// The unprivileged account builds run as when Riker runs as root (script/bootstrap creates it).
    static let buildUserName = "riker-build"
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    static let stack = "heroku-22"

    struct User { var name: String; var uid: uid_t; var gid: gid_t }

    /// The user processes run as, or nil for the current user.
    let user: User?
    let environment: [String: String]
    let deadline: Date
    let timeout: Double

    init(home: URL, sourceVersion: String?, timeout: Double, user: User? = BuildSandbox.defaultUser()) {
        var env = ["PATH": Self.path, "HOME": home.path, "STACK": Self.stack, "LANG": "C.UTF-8"]
        if let sourceVersion, !sourceVersion.isEmpty { env["SOURCE_VERSION"] = sourceVersion }
        if let user { env["USER"] = user.name; env["LOGNAME"] = user.name }
        self.environment = env
        self.user = user
        self.timeout = timeout
        self.deadline = Date().addingTimeInterval(timeout)
    }

    /// `riker-build` when running as root, that account exists and setpriv(1) is installed; else nil.
    static func defaultUser() -> User? {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: setpriv),
              let pw = getpwnam(buildUserName) else { return nil }
        return User(name: buildUserName, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    private static let setpriv = "/usr/bin/setpriv"

    /// Hands `urls` (recursively, symlinks not followed) to the build user, so it can write them.
    func handOver(_ urls: [URL]) throws {
        guard let user else { return }
        let spec = ProcessSpec("/bin/chown", ["-R", "--no-dereference", "\(user.uid):\(user.gid)", "--"] + urls.map(\.path),
                               environment: ["PATH": Self.path])
        let (out, status) = try ProcessRunner.capture(spec, timeout: 300)
        guard status.succeeded else {
            throw RikerError(.io, "cannot hand the build directories to \(user.name): \(out.split(separator: "\n").first ?? "")")
        }
    }

    /// Checks that the build user can write each of `dirs` (its parents must let it through),
    /// so a root directory that is closed to others fails with a line saying what to fix.
    func checkAccess(_ dirs: [URL]) throws {
        guard let user else { return }
        var denied = ""
        let status = try run(["/bin/bash", "-c", #"for d; do [ -w "$d" ] || { echo "$d"; exit 1; }; done"#, "riker-check"] + dirs.map(\.path),
                             in: URL(fileURLWithPath: "/")) { denied = $0 }
        guard status.succeeded else {
            throw RikerError(.buildFailed, "the build user \(user.name) cannot write \(denied): let it through the parent directories (chmod o+x)")
        }
    }

    /// Runs `argv` in `directory` as the build user with the build environment (plus `extraEnv`),
    /// streaming combined output to `onLine`. Throws `.buildFailed` when the build's deadline passes.
    func run(_ argv: [String], in directory: URL, extraEnv: [String: String] = [:], onLine: (String) -> Void) throws -> ExitStatus {
        var arguments = argv
        var executable = arguments.removeFirst()
        if let user {
            arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--init-groups", "--", executable] + arguments
            executable = Self.setpriv
        }
        let spec = ProcessSpec(executable, arguments, environment: environment.merging(extraEnv) { _, new in new },
                               workingDirectory: directory)
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw timedOut() }
        let result = try ProcessRunner.run(spec, timeout: remaining, onLine: onLine)
        if result.timedOut { throw timedOut() }
        return result.status
    }

    private func timedOut() -> RikerError {
        RikerError(.buildFailed, "build timed out after \(Int(timeout.rounded())) s")
    }
}
