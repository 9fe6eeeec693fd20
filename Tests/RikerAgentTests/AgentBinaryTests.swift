import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// The built `riker-agent` executable: signals, exit codes, crash recovery and the one-shot deploy.
@Suite(.serialized)
struct AgentBinaryTests {
    /// `riker-agent`, built next to the test bundle by `swift test`.
    static func binary() throws -> String {
        let dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let path = dir.appendingPathComponent("riker-agent").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "riker-agent is not built at \(path)")
        return path
    }

    /// Starts the binary with `environment` added; IMDS is a dead loopback port unless given.
    static func spawn(_ h: AgentHarness, _ arguments: [String], environment: [String: String] = [:]) throws -> (ChildProcess, URL) {
        let log = h.temp.path("agent-\(UUID().uuidString.prefix(6)).log")
        let fd = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        var env = ProcessInfo.processInfo.environment
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = deadIMDSEndpoint()
        env.merge(environment) { _, new in new }
        var spec = ProcessSpec(try binary(), arguments, environment: env)
        spec.stdout = .fd(fd)
        spec.stderr = .fd(fd)
        return (try ChildProcess.spawn(spec), log)
    }

    static func runArguments(_ h: AgentHarness) -> [String] {
        ["run", "--store", h.store.url, "--app", h.app, "--env", h.env, "--instance-id", h.instance,
         "--dir", h.agentDir.path, "--port", String(h.port), "--grace", "3"]
    }

    @Test func sigtermStopsTheAppProcessesAndExitsZero() async throws {
        try await withHarness { h in
            try await h.release(processes: ["web": "python3 app.py", "worker": "sleep 600"], formation: ["web": 1, "worker": 1])
            try await h.setDesired(1, deploy: "d1")
            let (agent, log) = try Self.spawn(h, Self.runArguments(h))
            defer { agent.terminate(grace: 1) }
            try await h.waitRunning(1, deploy: "d1")
            let web = try #require(h.answer()).pid
            let groups = try JSONCoding.decode(ProcessRegistry.Record.self, from: Data(contentsOf: h.agentDir.appendingPathComponent("processes.json")), what: "processes").processes

            kill(agent.pid, SIGTERM)
            let exit = agent.wait(timeout: 15)
            #expect(exit?.code == 0, "agent log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            #expect(!processExists(web))
            for g in groups { #expect(await h.eventually(timeout: 3) { !processExists(g.pgid) }) }
            #expect(try await h.status()?.state == .stopped)
        }
    }

    @Test func secondAgentOnTheSameDirectoryExitsWithCodeThree() async throws {
        try await withHarness { h in
            let (first, _) = try Self.spawn(h, Self.runArguments(h))
            defer { first.terminate(grace: 3) }
            let lock = h.agentDir.appendingPathComponent("agent.lock")
            #expect(await h.eventually { FileManager.default.fileExists(atPath: lock.path) && (try? FileLock.tryLock(lock)) == nil })
            var args = Self.runArguments(h)
            args[args.firstIndex(of: "--port")! + 1] = String(freePortForTest())
            let (second, log) = try Self.spawn(h, args)
            #expect(second.wait(timeout: 15)?.code == 3)
            #expect(try String(contentsOf: log, encoding: .utf8).contains("another riker-agent is running in \(h.agentDir.path)"))
        }
    }

    @Test func agentKilledHardLeavesNothingRunningOnceANewAgentStarts() async throws {
        try await withHarness { h in
            try await h.release()
            try await h.setDesired(1, deploy: "d1")
            let (first, _) = try Self.spawn(h, Self.runArguments(h))
            try await h.waitRunning(1, deploy: "d1")
            let orphan = try #require(h.answer()).pid
            kill(first.pid, SIGKILL)
            _ = first.wait()
            #expect(processExists(orphan))

            let (second, _) = try Self.spawn(h, Self.runArguments(h))
            defer { second.terminate(grace: 3) }
            try await h.waitForStatus { $0.pid == second.pid && $0.state == .running && $0.healthy }
            #expect(await h.eventually(timeout: 5) { !processExists(orphan) })
            let answer = try #require(h.answer())
            #expect(answer.release == "v1" && answer.pid != orphan)
        }
    }

    @Test func deployCommandRunsOneReleaseUntilSigterm() async throws {
        try await withHarness { h in
            let r = try await h.release(config: ["GREETING": "pinned"])
            let url = "\(h.store.url)/\(StoreLayout.release(h.app, h.env, r.version))"
            let (agent, log) = try Self.spawn(h, ["deploy", url, "--dir", h.agentDir.path, "--port", String(h.port), "--grace", "3"])
            defer { agent.terminate(grace: 1) }
            #expect(await h.eventually(timeout: 20) { h.answer()?.greeting == "pinned" })
            #expect(h.answer()?.release == "v1")
            #expect(try await h.status() == nil)
            var status: InstanceStatus?
            for _ in 0..<100 where status?.state != .running {
                status = try await h.store.status(h.app, h.env, instance: "local")
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(status?.state == .running && status?.release == 1 && status?.healthy == true && status?.pid == agent.pid)
            #expect(status?.address == "http://127.0.0.1:\(h.port)")
            kill(agent.pid, SIGTERM)
            #expect(agent.wait(timeout: 15)?.code == 0, "agent log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            #expect(h.get() == nil)
            #expect(try await h.store.status(h.app, h.env, instance: "local")?.state == .stopped)
        }
    }

    @Test func deployCommandExitsNonZeroWhenTheReleaseFails() async throws {
        try await withHarness { h in
            let r = try await h.release(processes: ["web": "echo 'no such module' >&2; exit 1"])
            let url = "\(h.store.url)/\(StoreLayout.release(h.app, h.env, r.version))"
            let (agent, log) = try Self.spawn(h, ["deploy", url, "--dir", h.agentDir.path, "--port", String(h.port), "--instance-id", "box-7"])
            defer { agent.terminate(grace: 1) }
            #expect(agent.wait(timeout: 20)?.code == 1)
            let output = try String(contentsOf: log, encoding: .utf8)
            #expect(output.contains("riker-agent: web.1 of v1 exited (exit code 1) during the health check\n"), "\(output)")
            #expect(output.contains("web.1's last line:\n  no such module"), "\(output)")
            // The reason stays in the status the agent left behind.
            let status = try #require(try await h.store.status(h.app, h.env, instance: "box-7"))
            #expect(status.state == .stopped && status.target == 1 && status.release == nil)
            #expect(status.error?.contains("no such module") == true)
        }
    }
}

/// `riker-agent run` on EC2: the instance id from IMDSv2 (a fake on 127.0.0.1), and restarts.
@Suite(.serialized)
struct AgentInstanceTests {
    @Test func runWithoutAnInstanceIDUsesTheOneFromIMDSv2() async throws {
        try await withHarness { h in
            let imds = try FakeIMDS(instanceID: h.instance)
            try await h.release()
            try await h.setDesired(1, deploy: "d1")
            var args = AgentBinaryTests.runArguments(h)
            args.removeSubrange(args.firstIndex(of: "--instance-id")!...args.firstIndex(of: "--instance-id")! + 1)
            let (agent, log) = try AgentBinaryTests.spawn(h, args, environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint])
            defer { agent.terminate(grace: 3) }
            let status = try await h.waitRunning(1, deploy: "d1")
            #expect(status.pid == agent.pid, "agent log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            #expect(imds.requests.contains("GET /latest/meta-data/instance-id ttl=- token=ok"))
        }
    }

    @Test func runWithInstanceIDAutoAndNoIMDSExitsWithOneLine() async throws {
        try await withHarness { h in
            let endpoint = deadIMDSEndpoint()
            var args = AgentBinaryTests.runArguments(h)
            args[args.firstIndex(of: "--instance-id")! + 1] = "auto"
            let (agent, log) = try AgentBinaryTests.spawn(h, args, environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint])
            defer { agent.terminate(grace: 1) }
            #expect(agent.wait(timeout: 20)?.code == 1)
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("riker-agent: cannot read the instance id from IMDSv2 at \(endpoint) (") == true)
            #expect(lines.first?.hasSuffix("): pass --instance-id") == true)
            #expect(!FileManager.default.fileExists(atPath: h.agentDir.path))
        }
    }

    @Test func restartedAgentDoesNotRetryAReleaseThatFailedForTheSameDeploy() async throws {
        try await withHarness { h in
            try await h.setApp(["deploy.timeout_seconds": "2", "deploy.health_path": "/healthz"])
            try await h.release()
            try await h.release(processes: ["web": "sleep 600"])
            try await h.setDesired(1, deploy: "d1")
            let (first, _) = try AgentBinaryTests.spawn(h, AgentBinaryTests.runArguments(h))
            try await h.waitRunning(1, deploy: "d1")
            try await h.setDesired(2, deploy: "d2")
            let failed = try await h.waitForStatus { $0.deploy == "d2" && $0.state == .failed && $0.target == 2 }
            kill(first.pid, SIGTERM)
            #expect(first.wait(timeout: 15)?.code == 0)
            let remembered = try String(contentsOf: h.agentDir.appendingPathComponent("failures.json"), encoding: .utf8)
            #expect(remembered.contains("\"deploy\" : \"d2\""))

            let (second, log) = try AgentBinaryTests.spawn(h, AgentBinaryTests.runArguments(h))
            defer { second.terminate(grace: 3) }
            let again = try await h.waitForStatus { $0.pid == second.pid && $0.deploy == "d2" }
            #expect(again.state == .failed && again.target == 2 && again.error == failed.error)
            // A retry would sit in `installing` for the 2 s health timeout: watch for longer.
            var states: [InstanceStatus.State] = []
            for _ in 0..<40 {
                if let s = try await h.status(), s.pid == second.pid { states.append(s.state) }
                try await Task.sleep(nanoseconds: 75_000_000)
            }
            #expect(!states.isEmpty && states.allSatisfy { $0 == .failed }, "states: \(states)")
            #expect(!(try String(contentsOf: log, encoding: .utf8)).contains("installing v2"))

            // A rollback (a new deploy id) is followed as usual.
            try await h.setDesired(1, deploy: "d3")
            try await h.waitRunning(1, deploy: "d3")
        }
    }
}

/// A second free port (the harness already holds one for the agent).
func freePortForTest() -> Int { RunningRelease.ephemeralPort() }
