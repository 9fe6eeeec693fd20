import Foundation
import RikerAWS
import RikerCore
import RikerLogs
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// The stores agents ship logs to in these tests: a local directory and S3 on moto_server.
enum AgentLogStore: String, CaseIterable, Sendable {
    case local, s3

    func make() async throws -> (any ReleaseStore)? {
        switch self {
        case .local: return nil
        case .s3:
            let moto = try MotoServer.shared()
            let client = S3Client(configuration: try S3Configuration.fromEnvironment(moto.environment),
                                  credentials: AWSCredentialChain(environment: moto.environment))
            let bucket = "riker-agent-logs-\(UUID().uuidString.prefix(8).lowercased())"
            try await client.createBucket(bucket)
            return S3ReleaseStore(bucket: bucket, prefix: "riker", client: client)
        }
    }
}

/// A web app that says so when it starts and prints a line per request, and a worker that counts.
private let chattyWeb = """
import http.server, os, sys
print("web up on", os.environ["PORT"], flush=True)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("served", self.path, flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""

/// riker-agent's side of app logs, with agents in this process: output and Riker's events
/// shipped to the store and read back, drains, and what Riker's own lines never contain.
@Suite(.serialized) struct AgentLogTests {
    /// Reads the app env's last lines back as `riker logs` does.
    private func lines(_ h: AgentHarness, _ query: LogQuery = LogQuery(lines: 1000)) async throws -> [LogLine] {
        try await LogReader(store: h.store, app: h.app, env: h.env).recent(query)
    }

    @Test(arguments: AgentLogStore.allCases)
    func twoInstancesOutputAndEventsAreShippedAndReadBackMergedInTimeOrder(store kind: AgentLogStore) async throws {
        try await withHarness(store: try await kind.make()) { h in
            let release = try await h.release(files: ["app.py": chattyWeb, "work.sh": "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done\n"],
                                              processes: ["web": "python3 app.py", "worker": "bash work.sh"])
            try await h.store.setCurrent(h.app, h.env, to: release.version, expected: nil)
            var second = h.options
            second.instanceID = "i-2"
            second.dir = h.temp.path("agent-2")
            second.port = freePort()
            h.startAgent()
            h.startAgent(second)
            _ = try await h.waitForStatus { $0.state == .running && $0.healthy }
            #expect(h.get("/hello") == "ok")

            // Shipped every 2 s: wait for both instances' lines to be in the store.
            var all: [LogLine] = []
            let arrived = await until(timeout: 30) {
                all = (try? await lines(h)) ?? []
                return Set(all.compactMap(\.instance)) == ["i-1", "i-2"] && all.contains { $0.text == "served /hello" }
                    && all.filter { $0.process == "worker.1" }.count >= 4
            }
            #expect(arrived, "\(all.suffix(20).map(\.description))")
            #expect(all.map(\.time) == all.map(\.time).sorted(), "merged in time order")
            for instance in ["i-1", "i-2"] {
                let mine = all.filter { $0.instance == instance }
                #expect(mine.contains { $0.source == "app" && $0.process == "web.1" && $0.text.hasPrefix("web up on") })
                #expect(mine.contains { $0.source == "app" && $0.process == "worker.1" && $0.text.hasPrefix("tick ") })
                let events = mine.filter { $0.source == "riker" }.map(\.text)
                #expect(events.contains("installing v1"), "\(events)")
                #expect(events.contains("starting web.1"), "\(events)")
                #expect(events.contains("v1 passed its health check; switched to v1"), "\(events)")
                // Each instance's own order holds: installing, then web's output, then the switch.
                let installing = try #require(mine.firstIndex { $0.text == "installing v1" })
                let up = try #require(mine.firstIndex { $0.text.hasPrefix("web up on") })
                #expect(installing < up)
            }
            #expect(all.first { $0.text == "served /hello" }?.description.contains(" app[web.1@i-1]: served /hello") == true)

            // --ps, --instance and -n select as they say.
            let workers = try await lines(h, LogQuery(lines: 3, process: "worker"))
            #expect(workers.count == 3 && workers.allSatisfy { $0.process == "worker.1" })
            let agent = try await lines(h, LogQuery(lines: 100, process: "agent", instance: "i-2"))
            #expect(!agent.isEmpty && agent.allSatisfy { $0.source == "riker" && $0.instance == "i-2" })

            // The local copy is bounded and has the same lines.
            let local = try String(contentsOf: h.agentDir.appendingPathComponent("logs/v1-web.log"), encoding: .utf8)
            #expect(local.contains("app[web.1@i-1]: web up on"))
            #expect(local.contains("riker[agent@i-1]: starting web.1"))

            // Shutdown ships the last lines, including the stop itself.
            await h.stopAgents()
            let last = try await lines(h).filter { $0.instance == "i-1" }.map(\.text)
            #expect(last.contains("stopping v1: the agent is shutting down"), "\(last.suffix(5))")
            #expect(last.contains { $0.hasPrefix("stopped web.1") }, "\(last.suffix(5))")
        }
    }

    @Test func crashesRestartsAndAFailedSwitchAreToldWithoutTheAppsSecrets() async throws {
        try await withHarness { h in
            let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
            let v1 = try await h.release(files: ["app.py": chattyWeb, "crash.sh": "sleep 8; echo crashing now; exit 3\n"],
                                         processes: ["web": "python3 app.py", "crasher": "bash crash.sh"], config: ["API_TOKEN": secret])
            try await h.setDesired(v1.version, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(v1.version, deploy: "d1")
            // v2's web prints its secret (as apps may) and dies during its health check.
            let v2 = try await h.release(files: ["app.py": "import os\nprint('token is', os.environ['API_TOKEN'], flush=True)\nraise SystemExit(1)\n"],
                                         processes: ["web": "python3 app.py"], config: ["API_TOKEN": secret])
            try await h.setDesired(v2.version, deploy: "d2")
            let failed = try await h.waitForStatus { $0.state == .failed && $0.target == v2.version }
            #expect(failed.error?.contains("exited (exit code 1) during the health check") == true, "\(failed.error ?? "")")

            var all: [LogLine] = []
            let told = await until(timeout: 30) {
                all = (try? await lines(h)) ?? []
                return all.contains { $0.text.hasPrefix("v2 failed: ") } && all.contains { $0.text.hasPrefix("crasher.1 exited") }
                    && all.filter { $0.text == "starting crasher.1" }.count >= 2
            }
            #expect(told, "\(all.suffix(20).map(\.description))")
            let riker = all.filter { $0.source == "riker" }
            #expect(riker.contains { $0.text == "v2 failed: web of v2 exited (exit code 1) during the health check; v1 keeps running" },
                    "\(riker.map(\.text))")
            #expect(riker.contains { $0.text.hasPrefix("crasher.1 exited (exit code 3) after ") })
            #expect(all.contains { $0.source == "app" && $0.process == "crasher.1" && $0.text == "crashing now" })
            // The app may print its secret; Riker's own lines never carry it.
            #expect(all.contains { $0.source == "app" && $0.text.contains(secret) })
            #expect(!riker.contains { $0.text.contains(secret) }, "\(riker.filter { $0.text.contains(secret) })")
        }
    }

    @Test func aDrainForwardsToRsyslogSurvivesItsRestartAndFollowsTheSetting() async throws {
        let rsyslog = try RsyslogServer()
        defer { rsyslog.stop() }
        try await withHarness { h in
            try await h.setApp(["logs.drain": "syslog+tcp://127.0.0.1:\(rsyslog.port)"])
            let release = try await h.release(files: ["app.py": chattyWeb], processes: ["web": "python3 app.py"])
            try await h.setDesired(release.version, deploy: "d1")
            h.startAgent()
            try await h.waitRunning(release.version, deploy: "d1")
            #expect(await h.eventually(timeout: 20) { rsyslog.received().contains { $0.message.hasPrefix("web up on") } }, "\(rsyslog.diagnostics)")
            let up = try #require(rsyslog.received().first { $0.message.hasPrefix("web up on") })
            #expect(up.appName == h.app && up.procID == "web.1" && up.hostname == h.instance)
            #expect(rsyslog.received().contains { $0.procID == "riker.agent" && $0.message == "v1 passed its health check; switched to v1" })

            rsyslog.stop()
            try rsyslog.start()
            // The first write after the restart may be lost (TCP cannot tell); the drain reconnects
            // and later lines arrive.
            let arrived = await h.eventually(timeout: 30) {
                _ = h.get("/after-restart")
                return rsyslog.received().contains { $0.message == "served /after-restart" }
            }
            #expect(arrived, "\(rsyslog.received().suffix(3)) \(rsyslog.diagnostics)")

            // A bad value (written around apps:set's check) means no drain, said once.
            try await h.setApp(["logs.drain": "syslog+udp://127.0.0.1:\(rsyslog.port)"])
            let said = await until(timeout: 30) {
                ((try? await lines(h)) ?? []).filter { $0.text.hasPrefix("no log drain: ") }.count == 1
            }
            #expect(said)
            let before = rsyslog.received().count
            _ = h.get("/after-removal")
            #expect(await until(timeout: 20) { ((try? await lines(h)) ?? []).contains { $0.text == "served /after-removal" } })
            #expect(rsyslog.received().count == before, "the old drain was closed")
            #expect(((try? await lines(h)) ?? []).filter { $0.text.hasPrefix("no log drain: ") }.count == 1)
        }
    }
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes (waiting for real
/// processes and the shipper, never measuring time).
func until(timeout: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(nanoseconds: 100_000_000)
    }
    return await condition()
}
