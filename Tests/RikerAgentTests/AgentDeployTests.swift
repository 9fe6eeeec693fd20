import Foundation
import RikerCore
import RikerHTTP
import RikerRelease
import Testing
@testable import RikerAgent

/// The agent against a real local store, real slugs, real python web processes and real HTTP.
@Suite(.serialized)
struct AgentDeployTests {
    @Test func firstReleaseServesThroughTheAgentPortWithConfigAndProfileD() async throws {
        try await withHarness { h in
            let files = ["app.py": AgentHarness.webApp, ".profile.d/greeting.sh": "export GREETING=\"from-profile-$RIKER_RELEASE\"\n"]
            let r1 = try await h.release(files: files, config: ["SECRET_TOKEN": "hunter2"])
            try await h.setDesired(r1.version, deploy: "d1")
            #expect(h.get() == nil)
            h.startAgent()

            let status = try await h.waitRunning(1, deploy: "d1")
            #expect(status.address == "http://127.0.0.1:\(h.port)")
            let answer = try #require(h.answer())
            #expect(answer.release == "v1")
            #expect(answer.greeting == "from-profile-v1")

            // The environment is kept for debugging outside the release dir (which the app serves).
            #expect(!FileManager.default.fileExists(atPath: h.agentDir.appendingPathComponent("releases/v1/.riker-env").path))
            let envFile = h.agentDir.appendingPathComponent("env/v1-web.1.env")
            let attrs = try FileManager.default.attributesOfItem(atPath: envFile.path)
            #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let env = try EnvFile.decode(String(contentsOf: envFile, encoding: .utf8))
            #expect(env["SECRET_TOKEN"] == "hunter2")
            #expect(env["RIKER_RELEASE"] == "v1")
            #expect(env["HOME"] == h.agentDir.appendingPathComponent("releases/v1").path)
            #expect(env["PORT"].flatMap(Int.init) != h.port)
            let log = try String(contentsOf: h.agentDir.appendingPathComponent("logs/v1-web.1.log"), encoding: .utf8)
            #expect(log.contains("listening on"))
        }
    }

    @Test(.enabled(if: AppUser.canSwitch, "needs root"))
    func appProcessesRunAsTheAppsOwnUserAndOwnOnlyTheirReleaseDir() async throws {
        try await withHarness { h in
            let user = AppUser(uid: 399_991, gid: 399_991)
            let app = """
            import http.server, os
            def probe(path):
                try:
                    open(path).read(1); return "read"
                except Exception as e:
                    return type(e).__name__
            body = ("%d %s %s" % (os.getuid(), probe(os.environ["AGENT_DIR"] + "/env/v1-web.1.env"), probe(os.environ["AGENT_DIR"] + "/processes.json"))).encode()
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
            """
            try await h.release(files: ["app.py": app], config: ["AGENT_DIR": h.agentDir.path])
            try await h.setDesired(1, deploy: "d1")
            var options = h.options
            options.appUser = user
            h.startAgent(options)
            try await h.waitRunning(1, deploy: "d1")
            // The app is not root: it cannot read the agent's files (its own environment file included).
            #expect(h.get() == "399991 PermissionError PermissionError")
            var st = stat()
            #expect(stat(h.agentDir.appendingPathComponent("releases/v1").path, &st) == 0 && st.st_uid == user.uid && st.st_mode & 0o777 == 0o700)
        }
    }

    /// The agent restarts while `desired` names a release that fails (its deployer died after
    /// moving things on): rather than serve nothing, it runs the last release that was healthy.
    @Test func anAgentWithNoHealthyDesiredReleaseFallsBackToTheLastHealthyOne() async throws {
        try await withHarness { h in
            try await h.release()
            try await h.release(files: ["app.py": "import sys; sys.exit(3)\n"])
            try await h.setApp(["deploy.timeout_seconds": "5"])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")
            try await h.setDesired(2, deploy: "d2")
            try await h.waitForStatus { $0.deploy == "d2" && $0.state == .failed && $0.target == 2 }
            #expect(h.answer()?.release == "v1")
            await h.stopAgents()
            #expect(h.get() == nil)

            h.startAgent()
            #expect(await h.eventually(timeout: 20) { h.answer()?.release == "v1" }, "the restarted agent serves nothing")
            // It still says v2 failed for d2, so a deployer waiting on it learns so.
            try await h.waitForStatus { $0.deploy == "d2" && $0.state == .failed && $0.target == 2 && $0.release == 1 }
        }
    }

    @Test func secondReleaseTakesOverWithoutAFailedRequest() async throws {
        try await withHarness { h in
            try await h.release()
            try await h.release()
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")
            let oldPid = try #require(h.answer()).pid

            let poller = Poller(port: h.port)
            poller.start()
            try await Task.sleep(nanoseconds: 300_000_000)
            try await h.setDesired(2, deploy: "d2")
            try await h.waitRunning(2, deploy: "d2")
            try await Task.sleep(nanoseconds: 1_000_000_000)
            let (answers, failures) = poller.finish()

            #expect(failures.isEmpty, "failed requests during the switch: \(failures.prefix(3))")
            #expect(answers.contains("v1") && answers.last == "v2")
            #expect(answers.count > 20, "the poller barely ran: \(answers.count) answers")  // ~65 when the machine is idle
            #expect(await h.eventually { !processExists(oldPid) }, "v1's web process is still running")
        }
    }

    @Test func releaseWhoseWebNeverAnswersIsReportedFailedWhileTheOldOneServes() async throws {
        try await withHarness { h in
            try await h.setApp(["deploy.timeout_seconds": "2", "deploy.health_path": "/healthz"])
            try await h.release()
            try await h.release(processes: ["web": "sleep 600"])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")

            try await h.setDesired(2, deploy: "d2")
            let failed = try await h.waitForStatus { $0.deploy == "d2" && $0.state == .failed && $0.target == 2 }
            #expect(failed.release == 1)
            #expect(failed.healthy)
            let error = try #require(failed.error)
            #expect(error.hasPrefix("web.1 of v2 did not pass its health check GET /healthz within 2s: it got no answer"), "\(error)")
            #expect(h.answer()?.release == "v1")

            // Not retried for the same deploy: the status stays as it is.
            try await Task.sleep(nanoseconds: 1_000_000_000)
            #expect(try await h.status()?.updatedAt == failed.updatedAt)
        }
    }

    @Test func releaseWhoseWebExitsFailsAtOnceWithItsLastLogLines() async throws {
        try await withHarness { h in
            try await h.release(processes: ["web": "echo 'cannot import flask' >&2; exit 3"])
            try await h.setDesired(1, deploy: "d1")
            let started = Date()
            h.startAgent()
            let failed = try await h.waitForStatus { $0.deploy == "d1" && $0.state == .failed && $0.target == 1 }
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(failed.release == nil)
            let error = try #require(failed.error)
            #expect(error.contains("exit code 3"))
            #expect(error.contains("cannot import flask"))
            #expect(h.get() == nil)

            // A new deploy of the same release is tried again.
            try await h.setDesired(1, deploy: "d2")
            try await h.waitForStatus { $0.deploy == "d2" && $0.state == .failed }
        }
    }

    @Test func crashedWebProcessIsRestarted() async throws {
        try await withHarness { h in
            try await h.release()
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")
            let first = try #require(h.answer())

            kill(first.pid, SIGKILL)
            #expect(await h.eventually { (h.answer()?.pid).map { $0 != first.pid } ?? false })
            let after = try await h.waitRunning(1, deploy: "d1")
            #expect(after.state == .running)
            let log = try String(contentsOf: h.agentDir.appendingPathComponent("logs/v1-web.1.log"), encoding: .utf8)
            #expect(log.contains("killed by signal 9"))
        }
    }

    @Test func workerOnlyReleaseRunsWithoutAWebProcess() async throws {
        try await withHarness { h in
            try await h.release(files: ["work.sh": "while true; do sleep 1; done\n"], processes: ["worker": "bash work.sh"])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            let status = try await h.waitRunning(1, deploy: "d1")
            #expect(status.address == nil)
            #expect(h.get() == nil)
        }
    }

    @Test func restartedAgentComesBackUpOnTheCurrentRelease() async throws {
        try await withHarness { h in
            let r1 = try await h.release()
            try await h.store.setCurrent(h.app, h.env, to: r1.version, expected: nil)
            h.startAgent()
            try await h.waitRunning(1, deploy: nil)
            let first = try #require(h.answer())
            let marker = h.agentDir.appendingPathComponent("releases/v1/.riker-slug")
            let unpackedAt = try FileManager.default.attributesOfItem(atPath: marker.path)[.modificationDate] as? Date

            await h.stopAgents()
            #expect(try await h.status()?.state == .stopped)
            #expect(!processExists(first.pid))
            #expect(h.get() == nil)

            h.startAgent()
            try await h.waitRunning(1, deploy: nil)
            let second = try #require(h.answer())
            #expect(second.release == "v1" && second.pid != first.pid)
            #expect(try FileManager.default.attributesOfItem(atPath: marker.path)[.modificationDate] as? Date == unpackedAt)
        }
    }

    @Test func stoppingTheAgentStopsTheAppProcesses() async throws {
        try await withHarness { h in
            try await h.release(processes: ["web": "python3 app.py", "worker": "sleep 600"], formation: ["web": 1, "worker": 1])
            try await h.setDesired(1, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(1, deploy: "d1")
            let web = try #require(h.answer()).pid
            let record = try JSONCoding.decode(ProcessRegistry.Record.self, from: Data(contentsOf: h.agentDir.appendingPathComponent("processes.json")), what: "processes")
            #expect(record.processes.count == 2)

            await h.stopAgents()
            let status = try #require(try await h.status())
            #expect(status.state == .stopped && status.deploy == "d1")
            #expect(!processExists(web))
            for p in record.processes { #expect(!processExists(p.pgid)) }
        }
    }

    @Test func secondAgentOnTheSameDirectoryIsRefused() async throws {
        try await withHarness { h in
            let first = h.startAgent()
            _ = first
            #expect(await h.eventually { Loopback.accepts(h.port) })
            let second = Agent(options: h.options, store: h.store, probe: CurlHealthProbe())
            await #expect(throws: RikerError.self) { try await second.run() }
            do { try await second.run() } catch let e as RikerError {
                #expect(e.code == .locked)
                #expect(e.message.contains("another riker-agent"))
            }
        }
    }
}

/// A client that GETs the agent's port every 20 ms on its own thread, recording answers and failures.
final class Poller: @unchecked Sendable {
    private let port: Int
    private let lock = NSLock()
    private var answers: [String] = []
    private var failures: [String] = []
    private var done = false
    private let finished = DispatchSemaphore(value: 0)

    init(port: Int) { self.port = port }

    func start() {
        Thread.detachNewThread { [self] in
            while !lock.withLock({ done }) {
                do {
                    let r = try HTTPClient.get("http://127.0.0.1:\(port)/", timeout: 3)
                    let body = String(decoding: r.body, as: UTF8.self)
                    lock.withLock {
                        if r.status == 200 { answers.append(String(body.prefix { $0 != " " })) } else { failures.append("HTTP \(r.status)") }
                    }
                } catch {
                    lock.withLock { failures.append(error.userMessage) }
                }
                usleep(20_000)
            }
            finished.signal()
        }
    }

    func finish() -> (answers: [String], failures: [String]) {
        lock.withLock { done = true }
        finished.wait()
        return lock.withLock { (answers, failures) }
    }
}
