import Foundation

/// Runs a command to completion, streaming its combined stdout+stderr line by line,
/// with an optional time limit after which the whole process group is torn down.
public enum ProcessRunner {
    public struct Result: Sendable {
        public var status: ExitStatus
        public var timedOut: Bool
    }

    /// The longest line passed on whole; longer ones come in pieces of this size.
    public static let maxLine = 16 * 1024

    /// Runs `spec`, calling `onLine` for each output line (without the newline) as it arrives.
    /// `spec.stdout`/`stderr` are replaced by one pipe. On timeout `beforeKill` (if any) is called
    /// with the still-running child, then its group gets SIGTERM, then SIGKILL.
    public static func run(_ spec: ProcessSpec, timeout: Double? = nil, beforeKill: ((ChildProcess) -> Void)? = nil,
                           onLine: (String) -> Void) throws -> Result {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw RikerError.posix("cannot create pipe for", path: spec.executable) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var s = spec
        s.stdout = .fd(fds[1])
        s.stderr = .fd(fds[1])
        let child: ChildProcess
        do { child = try ChildProcess.spawn(s) } catch { close(fds[0]); close(fds[1]); throw error }
        close(fds[1])
        defer { close(fds[0]) }

        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var pending = [UInt8]()
        var scanned = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        var timedOut = false
        var exitedAt: Date?
        // Each byte is looked at once: a search resumes where the last one stopped, and a line
        // longer than `maxLine` is passed on in pieces, so one huge line costs linear time and
        // bounded memory.
        func emit(_ range: Range<Int>) {
            var from = range.lowerBound
            repeat {
                let to = min(from + Self.maxLine, range.upperBound)
                onLine(String(decoding: pending[from..<to], as: UTF8.self))
                from = to
            } while from < range.upperBound
        }
        func flushLines(final: Bool) {
            var start = 0
            while let nl = pending[scanned...].firstIndex(of: 0x0a) {
                emit(start..<nl)
                start = nl + 1
                scanned = start
            }
            scanned = pending.count
            while pending.count - start >= Self.maxLine {
                onLine(String(decoding: pending[start..<(start + Self.maxLine)], as: UTF8.self))
                start += Self.maxLine
            }
            if final, start < pending.count { emit(start..<pending.count); start = pending.count }
            if start > 0 { pending.removeFirst(start); scanned -= start }
        }

        loop: while true {
            var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let r = Glibc.poll(&pfd, 1, 100)
            if r > 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if n > 0 { pending.append(contentsOf: buffer[0..<n]); flushLines(final: false) }
                else if n == 0 { break loop }
                else if errno != EINTR && errno != EAGAIN { break loop }
            }
            if let deadline, Date() > deadline, !timedOut {
                timedOut = true
                beforeKill?(child)
                child.terminate(grace: 5)
                break loop
            }
            // A daemonized grandchild may hold the pipe open after the child exits: stop reading soon after.
            if child.poll() != nil {
                if exitedAt == nil { exitedAt = Date() }
                else if Date().timeIntervalSince(exitedAt!) > 1 && r == 0 { break loop }
            }
        }
        flushLines(final: true)
        let status = child.wait()
        return Result(status: status, timedOut: timedOut)
    }

    /// Runs `spec` and returns its combined output and status (for short commands).
    public static func capture(_ spec: ProcessSpec, timeout: Double? = nil) throws -> (output: String, status: ExitStatus) {
        var lines: [String] = []
        let r = try run(spec, timeout: timeout) { lines.append($0) }
        if r.timedOut { throw RikerError(.timeout, "\(spec.executable) did not finish within \(Int(timeout ?? 0))s") }
        return (lines.joined(separator: "\n"), r.status)
    }
}
