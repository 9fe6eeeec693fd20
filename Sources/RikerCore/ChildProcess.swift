import CRikerSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process exited. A non-zero exit is a result to inspect, not an exception.
public struct ExitStatus: Equatable, Sendable, CustomStringConvertible {
    public var code: Int32?
    public var signal: Int32?
    public var succeeded: Bool { code == 0 }
    public var description: String {
        if let code { return "exit code \(code)" }
        if let signal { return "killed by signal \(signal)" }
        return "unknown status"
    }

    init(waitStatus s: Int32) {
        if s & 0x7f == 0 { code = (s >> 8) & 0xff } else { signal = s & 0x7f }
    }
    public init(code: Int32?, signal: Int32?) { self.code = code; self.signal = signal }
}

/// What to start: program, arguments, environment, directory and where its output goes.
public struct ProcessSpec: Sendable {
    public enum Stream: Sendable { case inherit, null, fd(Int32) }
    public var executable: String
    public var arguments: [String]
    /// The complete environment of the child (nothing is inherited unless copied in).
    public var environment: [String: String]
    public var workingDirectory: URL?
    /// Starts the child as the leader of a new process group, so signals reach its descendants too.
    public var newProcessGroup = true
    public var stdin: Stream = .null
    public var stdout: Stream = .inherit
    public var stderr: Stream = .inherit

    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment, workingDirectory: URL? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// One started child process: its pid, and the signal → wait → escalate teardown.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let processGroup: Bool
    private let lock = NSLock()
    private var status: ExitStatus?

    private init(pid: pid_t, processGroup: Bool) { self.pid = pid; self.processGroup = processGroup }

    /// Starts `spec` with posix_spawn. Throws if the program cannot be found or started.
    public static func spawn(_ spec: ProcessSpec) throws -> ChildProcess {
        let path = try resolveExecutable(spec.executable, path: spec.environment["PATH"])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        func redirect(_ s: ProcessSpec.Stream, to target: Int32, mode: Int32) {
            switch s {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", mode, 0)
            case .fd(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        redirect(spec.stdin, to: 0, mode: O_RDONLY)
        redirect(spec.stdout, to: 1, mode: O_WRONLY)
        redirect(spec.stderr, to: 2, mode: O_WRONLY)
        if let dir = spec.workingDirectory {
            riker_spawn_file_actions_addchdir(&actions, dir.path)
        }
        // Only stdin, stdout and stderr reach the child: no socket, pipe or lock of this process
        // (serve's HTTP listener, say) outlives it in an agent or an app.
        riker_spawn_file_actions_addclosefrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if spec.newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        // Riker ignores SIGPIPE so a vanished pusher cannot kill a deploy; children get the defaults back.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(flags))

        let argv = ([path] + spec.arguments).map { strdup($0) } + [nil]
        let envp = spec.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else {
            throw RikerError(.process, "cannot start \(spec.executable): \(String(cString: strerror(rc)))")
        }
        return ChildProcess(pid: pid, processGroup: spec.newProcessGroup)
    }

    /// Finds `name` on `path` (the child's PATH) unless it already contains a slash.
    public static func resolveExecutable(_ name: String, path: String?) throws -> String {
        if name.contains("/") { return name }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw RikerError(.process, "cannot find '\(name)' on PATH")
    }

    /// The exit status if the child has exited, without blocking.
    public func poll() -> ExitStatus? {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        var s: Int32 = 0
        let r = waitpid(pid, &s, WNOHANG)
        if r == pid { status = ExitStatus(waitStatus: s) }
        else if r < 0 && errno == ECHILD { status = ExitStatus(code: nil, signal: nil) }
        return status
    }

    /// Blocks until the child exits.
    public func wait() -> ExitStatus {
        while true {
            if let s = poll() { return s }
            var s: Int32 = 0
            let r = waitpid(pid, &s, 0)
            lock.lock()
            if r == pid { status = ExitStatus(waitStatus: s) }
            else if r < 0 && errno != EINTR { status = status ?? ExitStatus(code: nil, signal: nil) }
            let done = status
            lock.unlock()
            if let done { return done }
        }
    }

    /// Waits up to `timeout` seconds; nil if the child is still running.
    public func wait(timeout: Double) -> ExitStatus? {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: useconds_t = 2_000
        while Date() < deadline {
            if let s = poll() { return s }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        return poll()
    }

    /// Sends `sig` to the child's process group (or the child alone if it has none).
    public func signal(_ sig: Int32) {
        guard poll() == nil else { return }
        if processGroup { kill(-pid, sig) } else { kill(pid, sig) }
    }

    /// The teardown sequence: SIGTERM, wait up to `grace` seconds, then SIGKILL and wait.
    @discardableResult
    public func terminate(grace: Double) -> ExitStatus {
        if let s = poll() { killGroupLeftovers(); return s }
        signal(SIGTERM)
        if let s = wait(timeout: grace) { killGroupLeftovers(); return s }
        signal(SIGKILL)
        let s = wait()
        killGroupLeftovers()
        return s
    }

    /// After the leader exits, any descendant still in its group gets SIGKILL.
    private func killGroupLeftovers() {
        if processGroup { kill(-pid, SIGKILL) }
    }
}
