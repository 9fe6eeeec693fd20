import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// Captures one app process's stdout and stderr: a pipe the process writes to, read by a
/// dedicated thread (never the cooperative pool) that cuts the output into lines, stamps
/// them, appends them to a size-bounded local file (`RotatingLogFile`) and publishes them
/// to the instance's `LogStream`.
///
/// The capture outlives restarts: every start of the process gets the same pipe
/// (`attach(to:)`), so the file and the stream simply continue. `close()` ends it.
///
///     let capture = try ProcessLogCapture(process: "web.1", instance: "i-0abc",
///                                         file: logsDir.appendingPathComponent("v3-web.log"), stream: stream)
///     var spec = ...
///     capture.attach(to: &spec)          // stdout and stderr into the pipe
///     let child = try ChildProcess.spawn(spec)
///     ...
///     capture.close()                    // after the process (group) is gone for good
public final class ProcessLogCapture: @unchecked Sendable {
    /// `web.1`
    public let process: String
    public let instance: String?
    public let localLog: RotatingLogFile
    public let stream: LogStream?

    private let readFD: Int32
    private var writeFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let tagBytes: [UInt8]
    private let lock = NSLock()
    private var recent: [LogLine] = []
    private var recentHead = 0
    private let recentLimit: Int
    private var closing = false
    private var abandon = false
    private var readerDone = false
    private var pendingNotes: [(text: String, done: DispatchSemaphore)] = []
    private var counters = Counters()
    private let finished = DispatchSemaphore(value: 0)
    private var splitter: LineSplitter

    /// What the capture has seen so far.
    public struct Counters: Sendable, Equatable {
        /// Lines captured from the process.
        public var lines = 0
        /// Bytes read from the pipe.
        public var bytes = 0
        /// Times a line longer than the limit was cut into pieces.
        public var cuts = 0
    }

    /// Opens the pipe and starts the reading thread.
    ///
    /// - Parameters:
    ///   - capacity: bytes the local file may hold in all (two generations); default 4 MiB.
    ///   - maxLineLength: longer lines are cut into pieces of this many bytes (at most 16 KiB).
    ///   - recentLines: lines kept in memory for `recentLines(_:)` (error messages).
    /// Throws when the pipe or the file cannot be made.
    public init(process: String, instance: String?, file: URL, capacity: Int = 4 << 20, maxLineLength: Int = 16 * 1024,
                recentLines: Int = 200, stream: LogStream?) throws {
        self.process = process
        self.instance = instance
        self.stream = stream
        self.recentLimit = max(1, recentLines)
        localLog = try RotatingLogFile(file: file, capacity: capacity)
        splitter = LineSplitter(maxLength: min(maxLineLength, 16 * 1024))
        tagBytes = Array(" \(LogLine.appSource)[\(process)\(instance.map { "@" + $0 } ?? "")]: ".utf8)
        let output = try CloseOnExecPipe.make()
        let wake: (read: Int32, write: Int32)
        do { wake = try CloseOnExecPipe.make(nonblocking: true) } catch {
            Glibc.close(output.read); Glibc.close(output.write)
            throw error
        }
        readFD = output.read; writeFD = output.write; wakeRead = wake.read; wakeWrite = wake.write
        // A larger pipe absorbs bursts while the reader is descheduled (best effort; Linux only).
        _ = fcntl(writeFD, Self.setPipeSize, Int32(1 << 20))
        let thread = Thread { [self] in readLoop() }
        thread.name = "riker-logs \(process)"
        thread.start()
    }

    /// The pipe's write end: what `ProcessSpec.Stream.fd` needs. Owned by the capture; valid until `close()`.
    public var outputFD: Int32 { lock.withLock { writeFD } }

    /// Points `spec`'s stdout and stderr at the pipe.
    public func attach(to spec: inout ProcessSpec) {
        let fd = outputFD
        spec.stdout = .fd(fd)
        spec.stderr = .fd(fd)
    }

    public var counts: Counters { lock.withLock { counters } }

    /// Records one of Riker's events about this process (`riker[agent@INSTANCE]: text`) in its
    /// local file and in the stream, so both tell the whole story.
    ///
    /// The event is placed in order with the process's output: the reading thread first takes
    /// in everything the pipe holds, then writes the event, and only then does `note` return
    /// (a handoff of well under a millisecond unless the thread is busy; at most `wait`
    /// seconds). So a note made after the process exited follows all it wrote, and a note made
    /// before it starts precedes all it will write.
    public func note(_ text: String, wait: Double = 1) {
        let line = LogStream.oneLine(text)
        let done = DispatchSemaphore(value: 0)
        let direct: Bool = lock.withLock {
            if readerDone { return true }
            pendingNotes.append((line, done))
            return false
        }
        if direct { emitNotes([line]); return }
        wake()
        _ = done.wait(timeout: .now() + wait)
    }

    /// The last `n` lines (app output and notes) in the order they came, newest last.
    public func recentLines(_ n: Int) -> [LogLine] {
        lock.withLock {
            let all = recent[recentHead...] + recent[..<recentHead]
            return Array(all.suffix(n))
        }
    }

    /// Stops capturing: closes the write end, then waits up to `timeout` seconds for the
    /// reader to drain what the process wrote (it sees end-of-file once every process holding
    /// the pipe has exited) before it gives up. Blocks; call it where blocking is fine
    /// (a process teardown), not on the cooperative pool. Idempotent.
    public func close(timeout: Double = 2) {
        let first: Bool = lock.withLock {
            guard !closing else { return false }
            closing = true
            if writeFD >= 0 { Glibc.close(writeFD); writeFD = -1 }
            return true
        }
        guard first else { return }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            lock.withLock { abandon = true }
            wake()
            finished.wait()
        }
        localLog.close()
    }

    deinit {
        // The reading thread holds the capture until it ends, so this runs after it.
        Glibc.close(wakeRead); Glibc.close(wakeWrite)
        if writeFD >= 0 { Glibc.close(writeFD) }
    }

    private func wake() {
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
    }

    // MARK: - Reading thread

    private static let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ
    private static let quietFlush: Int32 = 1000   // ms of silence after which an unfinished line is emitted
    private static let gatherMicros: useconds_t = 2000

    private func readLoop() {
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer {
            buffer.deallocate()
            Glibc.close(readFD)
            finished.signal()
        }
        /// Reads once: the bytes read (0 if interrupted), nil at end-of-file or on an error.
        func readOnce() -> Int? {
            let n = read(readFD, buffer.baseAddress, bufferSize)
            if n < 0 { return errno == EINTR || errno == EAGAIN ? 0 : nil }
            if n == 0 { return nil }
            consume(UnsafeRawBufferPointer(rebasing: buffer[..<n]), flush: false)
            return n
        }
        var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        loop: while true {
            fds[0].revents = 0; fds[1].revents = 0
            let ready = poll(&fds, 2, splitter.hasPartialLine ? Self.quietFlush : -1)
            if ready < 0 { if errno == EINTR { continue }; break }
            if ready == 0 {
                consume(UnsafeRawBufferPointer(start: nil, count: 0), flush: true)
                continue
            }
            if fds[1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &drain, drain.count) > 0 {}
                // Notes come after what the process wrote before them: read what the pipe holds now.
                var open = true
                var now = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
                while open, poll(&now, 1, 0) > 0 { open = readOnce() != nil }
                let (notes, giveUp) = lock.withLock {
                    defer { pendingNotes = [] }
                    return (pendingNotes, abandon)
                }
                if !notes.isEmpty {
                    consume(UnsafeRawBufferPointer(start: nil, count: 0), flush: true)
                    emitNotes(notes.map(\.text))
                    notes.forEach { $0.done.signal() }
                }
                if giveUp || !open { break loop }  // close() stopped waiting, or end-of-file
                continue
            }
            guard let n = readOnce() else { break }
            // A small read means the process writes little at a time: let a few milliseconds of
            // output gather, so a chatty process costs a wakeup per batch, not one per line.
            if n < bufferSize / 4 { usleep(Self.gatherMicros) }
        }
        consume(UnsafeRawBufferPointer(start: nil, count: 0), flush: true)
        let notes = lock.withLock {
            readerDone = true
            defer { pendingNotes = [] }
            return pendingNotes
        }
        emitNotes(notes.map(\.text))
        notes.forEach { $0.done.signal() }
    }

    /// Writes Riker's notes to the file, the recent lines and the stream.
    private func emitNotes(_ texts: [String]) {
        guard !texts.isEmpty else { return }
        let time = LogTimestamp.now()
        let lines = texts.map { LogLine.riker($0, instance: instance, time: time) }
        localLog.append(Array(lines.map { $0.description + "\n" }.joined().utf8))
        lock.withLock { remember(lines) }
        stream?.publish(lines)
    }

    /// Cuts `bytes` into lines, then writes them to the file and the stream in one go.
    private func consume(_ bytes: UnsafeRawBufferPointer, flush: Bool) {
        let time = LogTimestamp.now()
        let stamp = time.bytes
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var lines: [LogLine] = []
        let emit: (UnsafeRawBufferPointer) -> Void = { [process, instance, tagBytes] line in
            out.append(contentsOf: stamp)
            out.append(contentsOf: tagBytes)
            out.append(contentsOf: line)
            out.append(0x0a)
            lines.append(LogLine(time: time, source: LogLine.appSource, process: process, instance: instance,
                                 text: String(decoding: line, as: UTF8.self)))
        }
        let cutsBefore = splitter.cutLines
        splitter.feed(bytes, emit: emit)
        if flush { splitter.flush(emit: emit) }
        guard !lines.isEmpty || bytes.count > 0 else { return }
        if !out.isEmpty { localLog.append(out) }
        lock.withLock {
            counters.lines += lines.count
            counters.bytes += bytes.count
            counters.cuts += splitter.cutLines - cutsBefore
            remember(lines)
        }
        stream?.publish(lines)
    }

    /// Keeps the newest `recentLimit` lines in a ring. Called with the lock held.
    private func remember(_ lines: [LogLine]) {
        for line in lines.suffix(recentLimit) {
            if recent.count < recentLimit {
                recent.append(line)
            } else {
                recent[recentHead] = line
                recentHead = (recentHead + 1) % recentLimit
            }
        }
    }
}
