import Foundation
import RikerCore
import RikerLogs
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
    /// The instance's log stream the output goes to (besides `logFile`); nil: the file only.
    let logs: LogStream?

    private let lock = NSLock()
    private var _child: ChildProcess?
    /// Captures the output of every start of the process, made by the first; closed by `stop`.
    private var capture: ProcessLogCapture?
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

    init(type: String, index: Int = 1, release: Int, spec: ProcessSpec, logFile: URL, logs: LogStream? = nil) {
        self.type = type; self.index = index; self.release = release; self.spec = spec; self.logFile = logFile; self.logs = logs
    }

    /// `TYPE.N`, as in its `DYNO`: the process's name in logs.
    var name: String { "\(type).\(index)" }

    var child: ChildProcess? { lock.withLock { _child } }
    var pid: Int32? { child?.pid }

    /// Starts the process with its output captured: into its size-bounded log file and the stream.
    func start(registry: ProcessRegistry) throws {
        let capture = try logCapture()
        var s = spec
        capture.attach(to: &s)
        s.newProcessGroup = true
        // Noted before the spawn, so everything the process writes comes after this marker.
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
        // Gone for good: the capture ends once it has read what the process wrote last.
        defer { lock.withLock { capture }?.close() }
        guard let child else { return }
        let status = child.terminate(grace: grace)
        registry.remove(pgid: child.pid)
        note("stopped \(name) (\(status))")
    }

    /// The last `lines` lines the process wrote since it was last started, for failure reports
    /// (from the capture's in-memory ring of recent lines, Riker's own notes left out).
    func logTail(lines: Int = 40) -> [String] {
        guard let recent = lock.withLock({ capture })?.recentLines(Self.recentLines) else { return [] }
        let lastStart = recent.lastIndex { $0.source == LogLine.rikerSource && $0.text == "starting \(name)" }
        let run = lastStart.map { recent[recent.index(after: $0)...] } ?? recent[...]
        return run.filter { $0.source == LogLine.appSource }.suffix(lines).map(\.text)
    }

    /// Lines kept in memory for `logTail` (the most `deploy.failure_lines` allows).
    static let recentLines = 1000

    /// What the agent reports about this process.
    var status: ProcessStatus {
        let state: ProcessStatus.State = isStopped ? .stopped : (restartAt != nil || child?.poll() != nil ? .crashed : .up)
        return ProcessStatus(name: name, type: type, state: state, pid: state == .up ? pid : nil, restarts: restarts,
                             lastExit: lastExit.map { "\($0)" })
    }

    /// Records one of Riker's events about this process in its log file and the stream
    /// (`riker[agent@INSTANCE]`), after everything the process has written so far.
    func note(_ text: String) {
        lock.withLock { capture }?.note(text)
    }

    /// The capture of this process's output, made on first use.
    private func logCapture() throws -> ProcessLogCapture {
        try lock.withLock {
            if let capture { return capture }
            let made = try ProcessLogCapture(process: name, instance: logs?.instance, file: logFile,
                                             recentLines: Self.recentLines, stream: logs)
            capture = made
            return made
        }
    }
}
