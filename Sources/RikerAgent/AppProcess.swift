import Foundation
import RikerCore
import RikerRelease

/// One process of a release (one copy of a Procfile type: `worker.2`): how to start it, the
/// running child, and its restart backoff.
///
/// Owned by the agent's loop; only `stop` may run on another thread (background teardown).
final class AppProcess: @unchecked Sendable {
    let type: String
    /// Which copy of its type, from 1.
    let index: Int
    let release: Int
    let spec: ProcessSpec
    let logFile: URL

    private let lock = NSLock()
    private var _child: ChildProcess?
    private var stopped = false
    private(set) var startedAt = Date()
    private(set) var lastExit: ExitStatus?
    /// Seconds to wait before the next restart; doubles per quick crash, reset by a long run.
    private(set) var backoff: Double = 0
    private(set) var restartAt: Date?
    private(set) var restarts = 0

    static let maxBackoff: Double = 30
    /// A process that stayed up this long before crashing is restarted after the shortest delay again.
    static let stableUptime: Double = 60

    init(type: String, index: Int = 1, release: Int, spec: ProcessSpec, logFile: URL) {
        self.type = type; self.index = index; self.release = release; self.spec = spec; self.logFile = logFile
    }

    /// `TYPE.N`, as in its `DYNO`.
    var name: String { "\(type).\(index)" }

    var child: ChildProcess? { lock.withLock { _child } }
    var pid: Int32? { child?.pid }

    /// Starts the process with its output appended to its log file.
    func start(registry: ProcessRegistry) throws {
        try FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RikerError.posix("cannot open log", path: logFile.path) }
        defer { close(fd) }
        var s = spec
        s.stdout = .fd(fd)
        s.stderr = .fd(fd)
        s.newProcessGroup = true
        // Written before the spawn, so everything the process writes comes after this marker.
        note("starting \(name)")
        let child = try ChildProcess.spawn(s)
        lock.withLock {
            _child = child
            startedAt = Date()
            restartAt = nil
        }
        registry.add(pgid: child.pid, release: release, type: name)
        note("\(name) has pid \(child.pid)")
    }

    /// If the process exited since the last look: records it, kills what is left of its group,
    /// schedules the restart, and returns the exit status.
    func checkExited(registry: ProcessRegistry, now: Date = Date()) -> ExitStatus? {
        guard let child, restartAt == nil, !isStopped, let status = child.poll() else { return nil }
        child.terminate(grace: 0)
        registry.remove(pgid: child.pid)
        let uptime = now.timeIntervalSince(startedAt)
        backoff = uptime >= Self.stableUptime || backoff == 0 ? 1 : min(backoff * 2, Self.maxBackoff)
        lastExit = status
        restartAt = now.addingTimeInterval(backoff)
        note("\(name) exited (\(status)) after \(Int(uptime))s; restarting in \(Int(backoff))s")
        return status
    }

    /// True when a crashed process's backoff has elapsed.
    func dueForRestart(now: Date = Date()) -> Bool {
        guard let restartAt, !isStopped else { return false }
        return now >= restartAt
    }

    func restart(registry: ProcessRegistry) throws {
        restarts += 1
        try start(registry: registry)
    }

    /// Whether the process exited and waits for its backoff before a restart.
    var isWaitingForRestart: Bool { restartAt != nil }

    /// Whether the process is running right now (not exited, not waiting for a restart).
    var isRunning: Bool { !isStopped && restartAt == nil && child?.poll() == nil }

    var isStopped: Bool { lock.withLock { stopped } }

    /// Stops the process for good: SIGTERM to its group, `grace` seconds, then SIGKILL. Blocks.
    func stop(grace: Double, registry: ProcessRegistry) {
        let child: ChildProcess? = lock.withLock {
            stopped = true
            return _child
        }
        guard let child else { return }
        let status = child.terminate(grace: grace)
        registry.remove(pgid: child.pid)
        note("stopped \(name) (\(status))")
    }

    /// The last `lines` lines the process wrote since it was last started, for failure reports
    /// (read from the log's last 256 KB).
    func logTail(lines: Int = 40) -> [String] {
        guard let handle = try? FileHandle(forReadingFrom: logFile) else { return [] }
        defer { try? handle.close() }
        let window: UInt64 = 256 * 1024
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > window ? size - window : 0)
        let all = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let lastStart = all.lastIndex { $0.hasPrefix("[riker-agent]") && $0.hasSuffix(" starting \(name)") }
        var run = Array(lastStart.map { all[all.index(after: $0)...] } ?? all[...]).filter { !$0.hasPrefix("[riker-agent]") }
        if run.last?.isEmpty == true { run.removeLast() }
        return run.suffix(lines).map(String.init)
    }

    /// What the agent reports about this process.
    var status: ProcessStatus {
        let state: ProcessStatus.State = isStopped ? .stopped : (restartAt != nil || child?.poll() != nil ? .crashed : .up)
        return ProcessStatus(name: name, type: type, state: state, pid: state == .up ? pid : nil, restarts: restarts,
                             lastExit: lastExit.map { "\($0)" })
    }

    /// Appends an agent line to the process's log, so the log tells the whole story.
    private func note(_ text: String) {
        let line = "[riker-agent] \(ISO8601DateFormatter().string(from: Date())) \(text)\n"
        guard let handle = try? FileHandle(forWritingTo: logFile) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(line.utf8))
    }
}
