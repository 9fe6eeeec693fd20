import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// Where and as whom a build's processes run: a clean environment (never Riker's own, which
/// may hold secrets), the app's own unprivileged build user when Riker runs as root (so no
/// build can read or write another app's cache, config or checkout), a limit on its processes,
/// a PID namespace of its own where the kernel allows one (so nothing it starts, even with
/// setsid, outlives it), and one deadline for the whole build.
struct BuildSandbox {
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    static let stack = "heroku-22"
    /// Processes the build user may have at once (a fork bomb stops there).
    static let maxProcesses = 1024

    /// The user processes run as, or nil for the current user (Riker is not root).
    let user: AppUser?
    let environment: [String: String]
    let deadline: Date
    let timeout: Double

    init(home: URL, sourceVersion: String?, timeout: Double, user: AppUser?) {
        var env = ["PATH": Self.path, "HOME": home.path, "STACK": Self.stack, "LANG": "C.UTF-8"]
        if let sourceVersion, !sourceVersion.isEmpty { env["SOURCE_VERSION"] = sourceVersion }
        if user != nil { env["USER"] = "riker-build"; env["LOGNAME"] = "riker-build" }
        self.environment = env
        self.user = user
        self.timeout = timeout
        self.deadline = Date().addingTimeInterval(timeout)
    }

    /// Hands `urls` (recursively, symlinks not followed) to the build user, so it can write
    /// them; each gets mode 0700, so no other user can read them.
    func handOver(_ urls: [URL]) throws {
        guard let user else { return }
        try user.own(urls, mode: 0o700)
    }

    /// Checks that the build user can write each of `dirs` (its parents must let it through),
    /// so a root directory that is closed to others fails with a line saying what to fix.
    func checkAccess(_ dirs: [URL]) throws {
        guard let user else { return }
        var denied = ""
        let status = try run(["/bin/bash", "-c", #"for d; do [ -w "$d" ] || { echo "$d"; exit 1; }; done"#, "riker-check"] + dirs.map(\.path),
                             in: URL(fileURLWithPath: "/")) { denied = $0 }
        guard status.succeeded else {
            throw RikerError(.buildFailed, "the build user (\(user)) cannot write \(denied): let it through the parent directories (chmod o+x)")
        }
    }

    /// Runs `argv` in `directory` as the build user with the build environment (plus `extraEnv`),
    /// streaming combined output to `onLine`. Throws `.buildFailed` when the build's deadline passes.
    func run(_ argv: [String], in directory: URL, extraEnv: [String: String] = [:], onLine: (String) -> Void) throws -> ExitStatus {
        var arguments = argv
        let executable = arguments.removeFirst()
        var spec = ProcessSpec(executable, arguments, environment: environment.merging(extraEnv) { _, new in new },
                               workingDirectory: directory)
        if let user {
            spec = try user.wrap(spec)
            spec.arguments = ["--nproc=\(Self.maxProcesses)", "--", spec.executable] + spec.arguments
            spec.executable = "/usr/bin/prlimit"
            if Self.pidNamespaces {
                spec.arguments = ["--pid", "--fork", "--kill-child=SIGKILL", "--", spec.executable] + spec.arguments
                spec.executable = Self.unshare
            }
        }
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw timedOut() }
        let result = try ProcessRunner.run(spec, timeout: remaining, onLine: onLine)
        if !Self.pidNamespaces, let user { Self.killEverything(of: user) }
        if result.timedOut { throw timedOut() }
        return result.status
    }

    private func timedOut() -> RikerError {
        RikerError(.buildFailed, "build timed out after \(Int(timeout.rounded())) s")
    }

    static let unshare = "/usr/bin/unshare"

    /// Whether this kernel lets Riker give a build a PID namespace (when it ends, so does every
    /// process it started). Without, processes left behind are killed by uid after each step.
    static let pidNamespaces: Bool = {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: unshare) else { return false }
        let spec = ProcessSpec(unshare, ["--pid", "--fork", "--kill-child=SIGKILL", "--", "/bin/true"], environment: ["PATH": path])
        return (try? ProcessRunner.capture(spec, timeout: 10).status.succeeded) == true
    }()

    /// SIGKILL to every process of `user` (its uid belongs to one app's builds only).
    static func killEverything(of user: AppUser) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), pid > 1 else { continue }
            var st = stat()
            if stat("/proc/\(pid)", &st) == 0, st.st_uid == user.uid { kill(pid, SIGKILL) }
        }
    }
}
