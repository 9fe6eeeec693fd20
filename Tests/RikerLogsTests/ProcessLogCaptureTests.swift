import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerLogs

/// A sink that keeps what it is given, for tests.
final class CollectingSink: LogSink, @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [LogLine] = []
    var lines: [LogLine] { lock.withLock { _lines } }
    func receive(_ lines: [LogLine]) { lock.withLock { _lines += lines } }
}

@Suite struct ProcessLogCaptureTests {
    /// Runs `script` under `sh -c` with its output captured, waits for it, closes the capture.
    private func run(_ script: String, capture: ProcessLogCapture) throws -> RikerCore.ExitStatus {
        var spec = ProcessSpec("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"])
        capture.attach(to: &spec)
        let child = try ChildProcess.spawn(spec)
        return child.wait()
    }

    private func fileLines(_ capture: ProcessLogCapture) -> [LogLine] {
        String(decoding: capture.localLog.tail(maxBytes: 1 << 30), as: UTF8.self).split(separator: "\n").compactMap { LogLine(parsing: $0) }
    }

    @Test func stdoutAndStderrBecomeStampedLinesInTheFileAndTheStream() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let stream = LogStream(instance: "i-0abc")
        let sink = CollectingSink()
        stream.add(sink)
        let capture = try ProcessLogCapture(process: "web.1", instance: "i-0abc", file: dir.path("logs/v1-web.log"), stream: stream)
        capture.note("starting web")
        let before = LogTimestamp.now()
        #expect(try run("echo hello; echo oops >&2; printf 'no newline at the end'", capture: capture).succeeded)
        capture.close()
        let after = LogTimestamp.now()

        let app = sink.lines.filter { $0.source == "app" }
        #expect(app.map(\.text) == ["hello", "oops", "no newline at the end"])
        #expect(app.allSatisfy { $0.process == "web.1" && $0.instance == "i-0abc" && $0.time >= before && $0.time <= after })
        #expect(sink.lines.first?.description.hasSuffix(" riker[agent@i-0abc]: starting web") == true)
        #expect(fileLines(capture) == sink.lines, "the local file holds the same lines, in the same format")
        #expect(capture.counts.lines == 3)
        #expect(capture.recentLines(2).map(\.text) == ["oops", "no newline at the end"])
    }

    @Test func theSamePipeServesEveryRestartOfTheProcess() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let capture = try ProcessLogCapture(process: "worker.1", instance: nil, file: dir.path("w.log"), stream: nil)
        for i in 1...3 {
            capture.note("starting worker (\(i))")
            _ = try run("echo run \(i)", capture: capture)
        }
        capture.close()
        let texts = fileLines(capture).map(\.text)
        #expect(texts == ["starting worker (1)", "run 1", "starting worker (2)", "run 2", "starting worker (3)", "run 3"])
    }

    @Test func aLongLineIsCutAndAFloodStaysWithinTheLocalCap() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let sink = CollectingSink()
        let stream = LogStream(instance: "i-1")
        stream.add(sink)
        let cap = 64 * 1024
        let capture = try ProcessLogCapture(process: "web.1", instance: "i-1", file: dir.path("web.log"), capacity: cap, stream: stream)
        // 40,000 bytes without a newline, then 5 MB of numbered lines.
        let script = "printf '%40000s' | tr ' ' x; echo; seq 1 700000"
        #expect(try run(script, capture: capture).succeeded)
        capture.close()

        let lines = sink.lines
        #expect(lines.prefix(3).map(\.text.utf8.count) == [16384, 16384, 7232])
        #expect(capture.counts.cuts == 2)
        #expect(lines.count == 3 + 700_000)
        #expect(lines.last?.text == "700000")
        let size = { (u: URL) in ((try? FileManager.default.attributesOfItem(atPath: u.path))?[.size] as? Int) ?? 0 }
        #expect(size(capture.localLog.file) + size(capture.localLog.previousFile) <= cap)
        #expect(fileLines(capture).last?.text == "700000", "the newest lines are kept")
    }

    @Test func closeReturnsEvenWhenADescendantStillHoldsThePipe() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let capture = try ProcessLogCapture(process: "web.1", instance: nil, file: dir.path("web.log"), stream: nil)
        var spec = ProcessSpec("/bin/sh", ["-c", "echo started; sleep 30 & wait"], environment: ["PATH": "/usr/bin:/bin"])
        capture.attach(to: &spec)
        let child = try ChildProcess.spawn(spec)
        defer { child.terminate(grace: 0) }
        #expect(try awaitCondition { capture.counts.lines == 1 })
        capture.close(timeout: 0.2)
        #expect(capture.recentLines(5).map(\.text) == ["started"])
    }

    /// Polls (every 10 ms, up to 30 s) until `condition` holds.
    private func awaitCondition(_ condition: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while !condition() {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }
}
