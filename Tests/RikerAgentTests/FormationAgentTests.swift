import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// The agent runs a release's formation: which processes start, how they are numbered, how a
/// crashing one is told apart from a failed release, and what a failure report says.
@Suite(.serialized) struct FormationAgentTests {
    /// A web app whose `/` answers `STATUS BODY` from its config, printing `LINES` lines first.
    static let configurableWeb = """
    import http.server, os
    for i in range(int(os.environ.get("LINES", "0"))):
        print("boot line", i + 1, flush=True)
    status = int(os.environ.get("STATUS", "200"))
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path == os.environ.get("READY_PATH", self.path)
            body = (os.environ.get("BODY", "fine") if ok else "not here").encode()
            self.send_response(status if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
    """

    @Test func onlyScaledTypesRunAndEachCopyHasItsOwnDyno() async throws {
        try await withHarness { h in
            let mark = "echo $DYNO > ran-$DYNO; exec sleep 600"
            let r = try await h.release(processes: ["web": "python3 app.py", "worker": mark, "clock": mark, "release": mark, "custom": "echo -n"],
                                        formation: ["web": 1, "worker": 2, "clock": 0, "custom": 0])
            try await h.setDesired(r.version, deploy: "d1")
            h.startAgent()
            let status = try await h.waitRunning(1, deploy: "d1")
            #expect(status.processes?.map(\.name) == ["web.1", "worker.1", "worker.2"])
            #expect(status.processes?.allSatisfy { $0.state == .up && $0.pid != nil } == true)
            let dir = h.agentDir.appendingPathComponent("releases/v1")
            let ran = { Set(((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("ran-") }) }
            #expect(await h.eventually { ran() == ["ran-worker.1", "ran-worker.2"] }, "\(ran())")
            #expect(try String(contentsOf: dir.appendingPathComponent("ran-worker.2"), encoding: .utf8) == "worker.2\n")
        }
    }

    @Test func aWorkerThatExitsInItsSettleTimeFailsTheReleaseWithItsLast40Lines() async throws {
        try await withHarness { h in
            try await h.release(processes: ["web": "python3 app.py", "worker": "for i in $(seq 1 50); do echo \"worker line $i\"; done; exit 4"],
                                formation: ["web": 1, "worker": 1])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            let failed = try await h.waitForStatus { $0.deploy == "d1" && $0.state == .failed }
            let report = FailureReport(parsing: try #require(failed.error))
            #expect(report.summary == "worker.1 of v1 exited (exit code 4) during its first 3s")
            #expect(report.lines.first == "worker.1's last 40 lines:")
            #expect(report.lines.dropFirst() == ArraySlice((11...50).map { "  worker line \($0)" }))
            #expect(h.get() == nil)
        }
    }

    @Test func aWorkerCrashingAfterItsSettleTimeIsRestartedAndTheReleaseStillStarts() async throws {
        try await withHarness { h in
            // web answers only once the worker has crashed, so the crash happens during the check.
            try await h.release(processes: [
                "web": "while [ ! -f crashed ]; do sleep 0.2; done; exec python3 app.py",
                "worker": "if [ -f crashed ]; then exec sleep 600; fi; sleep 4; echo giving up; touch crashed; exit 1",
            ], formation: ["web": 1, "worker": 1])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")
            let status = try await h.waitForStatus { s in s.processes?.first { $0.name == "worker.1" }.map { $0.restarts >= 1 && $0.state == .up } == true }
            #expect(status.processes?.first { $0.name == "worker.1" }?.lastExit == "exit code 1")
            #expect(h.answer()?.release == "v1")
        }
    }

    @Test func aHealthCheckAnsweredWithAnErrorShowsTheStatusTheBodyAndTheProcessOutput() async throws {
        try await withHarness { h in
            try await h.setApp(["deploy.timeout_seconds": "2"])
            try await h.release(files: ["app.py": Self.configurableWeb],
                                config: ["STATUS": "500", "BODY": "Traceback (most recent call last):\nDatabaseError: no such table", "LINES": "3"])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            let failed = try await h.waitForStatus { $0.deploy == "d1" && $0.state == .failed }
            let report = FailureReport(parsing: try #require(failed.error))
            #expect(report.summary == "web.1 of v1 did not pass its health check GET / within 2s: it answered HTTP 500", "\(report.text)")
            #expect(report.lines == ["GET / answered HTTP 500; the body's first lines:", "  Traceback (most recent call last):",
                                     "  DatabaseError: no such table", "web.1's last 3 lines:",
                                     "  boot line 1", "  boot line 2", "  boot line 3"])
        }
    }

    @Test func appJsonHealthCheckPathDecidesForTheRelease() async throws {
        try await withHarness { h in
            // `/` answers 404: only the app.json path lets the release start.
            let manifest = AppManifest(healthchecks: ["web": [.init(path: "/ready", attempts: 20, timeout: 2, wait: 0)]])
            try await h.release(files: ["app.py": Self.configurableWeb], config: ["READY_PATH": "/ready"], manifest: manifest)
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")

            // Without it the same app fails on `/`.
            try await h.setApp(["deploy.timeout_seconds": "2"])
            try await h.release(files: ["app.py": Self.configurableWeb], config: ["READY_PATH": "/ready"])
            try await h.setDesired(2, deploy: "d2")
            let failed = try await h.waitForStatus { $0.deploy == "d2" && $0.state == .failed }
            #expect(FailureReport(parsing: failed.error ?? "").summary.contains("answered HTTP 404"))
        }
    }
}
