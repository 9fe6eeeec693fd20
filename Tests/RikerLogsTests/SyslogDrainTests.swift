import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerLogs

/// The drain against a real rsyslogd on loopback (Debian's rsyslog, and rsyslog-openssl for TLS).
@Suite(.serialized) struct SyslogDrainTests {
    private func drainOptions(caFile: String? = nil, maxQueued: Int = 10_000) -> SyslogDrainOptions {
        var o = SyslogDrainOptions()
        o.caFile = caFile
        o.initialBackoff = 0.05
        o.maxBackoff = 0.2
        o.maxQueuedLines = maxQueued
        return o
    }

    @Test func capturedLinesArriveAtRsyslogWithAppNameProcIDAndMessage() async throws {
        let rsyslog = try RsyslogServer()
        defer { rsyslog.stop() }
        let drain = try SyslogDrain(url: DrainURL(parsing: "syslog+tcp://127.0.0.1:\(rsyslog.port)"), app: "shop", hostname: "host-1",
                                    options: drainOptions())
        drain.start()
        let stream = LogStream(instance: "i-0abc")
        stream.add(drain)
        let dir = try TempDir(); defer { dir.remove() }
        let capture = try ProcessLogCapture(process: "web.1", instance: "i-0abc", file: dir.path("web.log"), stream: stream)
        var spec = ProcessSpec("/bin/sh", ["-c", "echo 'hello from web'; echo 'an error | with a pipe' >&2; echo 'naïve ☃'"],
                               environment: ["PATH": "/usr/bin:/bin"])
        capture.attach(to: &spec)
        #expect(try ChildProcess.spawn(spec).wait().succeeded)
        capture.close()
        stream.event("web.1 exited (exit code 0)")

        #expect(await eventually { rsyslog.received().count == 4 }, "rsyslog got: \(rsyslog.received()) \(rsyslog.diagnostics)")
        let got = rsyslog.received()
        #expect(got.map(\.message) == ["hello from web", "an error | with a pipe", "naïve ☃", "web.1 exited (exit code 0)"])
        #expect(got.prefix(3).allSatisfy { $0.hostname == "i-0abc" && $0.appName == "shop" && $0.procID == "web.1" && $0.msgID == "-" && $0.structuredData == "-" })
        #expect(got[3].procID == "riker.agent" && got[3].appName == "shop")
        let sent = try #require(capture.recentLines(10).first)
        #expect(got[0].timestamp == sent.time.description, "the line's own time, to the millisecond")
        await drain.close()
        #expect(drain.stats.sentLines == 4 && drain.stats.droppedLines == 0 && drain.stats.connects == 1)
    }

    @Test func theDrainSurvivesRsyslogRestartingDroppingAndCountingLinesMeanwhile() async throws {
        let rsyslog = try RsyslogServer()
        defer { rsyslog.stop() }
        let drain = try SyslogDrain(url: DrainURL(parsing: "syslog+tcp://127.0.0.1:\(rsyslog.port)"), app: "shop", hostname: "h",
                                    options: drainOptions(maxQueued: 50))
        drain.start()
        let stream = LogStream(instance: "i-1")
        stream.add(drain)
        let dir = try TempDir(); defer { dir.remove() }
        let capture = try ProcessLogCapture(process: "web.1", instance: "i-1", file: dir.path("web.log"), stream: stream)
        defer { capture.close() }
        func run(_ script: String) throws -> RikerCore.ExitStatus {
            var spec = ProcessSpec("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"])
            capture.attach(to: &spec)
            return try ChildProcess.spawn(spec).wait()
        }

        #expect(try run("echo before").succeeded)
        #expect(await eventually { rsyslog.received().map(\.message) == ["before"] }, "\(rsyslog.diagnostics)")

        rsyslog.stop()
        #expect(await eventually { !drain.stats.connected }, "the drain notices the server went away")
        // The app keeps writing at full speed while the drain is down: it is never held up.
        #expect(try run("seq 1 5000").succeeded)
        #expect(await eventually { capture.counts.lines == 5001 })
        #expect(drain.stats.droppedLines >= 5000 - 50, "beyond its queue of 50 the drain drops, and counts")
        let connectsBefore = drain.stats.connects

        try rsyslog.start()
        #expect(await eventually { drain.stats.connects > connectsBefore && drain.stats.connected }, "the drain reconnects by itself")
        #expect(try run("echo after the restart").succeeded)
        #expect(await eventually { rsyslog.received().last?.message == "after the restart" }, "\(rsyslog.received().suffix(3))")
        let got = rsyslog.received().map(\.message)
        #expect(got.count <= 1 + 50 + 1, "no more than the queue's worth of outage lines arrives")
        #expect(got.first == "before")
        await drain.close()
        let stats = drain.stats
        #expect(stats.sentLines + stats.droppedLines == 5002, "every line was sent or counted as dropped")
    }

    @Test func tlsDrainDeliversToRsyslogOverTLS() async throws {
        let rsyslog = try RsyslogServer(tls: true)
        defer { rsyslog.stop() }
        let drain = try SyslogDrain(url: DrainURL(parsing: "syslog+tls://127.0.0.1:\(rsyslog.port)"), app: "shop", hostname: "h",
                                    options: drainOptions(caFile: rsyslog.certificate.path))
        drain.start()
        let t = LogTimestamp.now()
        drain.receive([LogLine.app("over tls", process: "worker.2", instance: "i-9", time: t)])
        #expect(await eventually { !rsyslog.received().isEmpty }, "\(rsyslog.diagnostics)")
        #expect(rsyslog.received() == [.init(hostname: "i-9", appName: "shop", procID: "worker.2", msgID: "-", structuredData: "-",
                                             timestamp: t.description, message: "over tls")])
        await drain.close()
    }

    @Test func aTLSDrainThatDoesNotTrustTheServerSendsNothing() async throws {
        let rsyslog = try RsyslogServer(tls: true)
        defer { rsyslog.stop() }
        let other = try RsyslogServer(tls: true)  // another self-signed certificate
        other.stop()
        let drain = try SyslogDrain(url: DrainURL(parsing: "syslog+tls://127.0.0.1:\(rsyslog.port)"), app: "shop", hostname: "h",
                                    options: drainOptions(caFile: other.certificate.path))
        drain.start()
        drain.receive([LogLine.app("secret", process: "web.1", instance: "i-1")])
        #expect(await eventually { drain.stats.droppedLines == 1 }, "the line is lost with the failed handshake, and counted")
        await drain.close()
        #expect(rsyslog.received().isEmpty)
        #expect(drain.stats.sentLines == 0)
    }

    @Test func aMissingCAFileIsOneClearError() throws {
        var o = SyslogDrainOptions()
        o.caFile = "/nonexistent/ca.pem"
        #expect {
            _ = try SyslogDrain(url: DrainURL(parsing: "syslog+tls://127.0.0.1:6514"), app: "shop", hostname: "h", options: o)
        } throws: { error in
            let e = error as? RikerError
            return e?.code == .invalidInput && e!.message.contains("/nonexistent/ca.pem")
        }
    }
}
