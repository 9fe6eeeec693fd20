import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerAgent

/// deploy/user-data.sh, run for real with DESTDIR staging, a fake IMDSv2 on 127.0.0.1 and a
/// `systemctl` stub on PATH that records its calls.
@Suite(.serialized)
struct UserDataTests {
    static var deployDir: URL { packageRoot().appendingPathComponent("deploy") }

    /// A staging root, a stub `systemctl`, and what running the script left behind.
    struct Run {
        let temp: TempDir
        let result: CommandResult
        var root: URL { temp.path("root") }
        var systemctlCalls: [String] {
            ((try? String(contentsOf: temp.path("systemctl.calls"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        func file(_ path: String) -> String? { try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
        /// `KEY=VALUE` lines of the agent's environment file.
        var agentEnv: [String: String] {
            var env: [String: String] = [:]
            for line in (file("etc/riker/agent.env") ?? "").split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { env[parts[0]] = parts[1] }
            }
            return env
        }
    }

    /// `stubs`: more programs (name → shell script) put first on PATH beside `systemctl`.
    static func runUserData(_ settings: [String: String], imds: String, stubs extra: [String: String] = [:]) throws -> Run {
        let temp = try TempDir("user-data")
        let stubs = temp.path("bin")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        let systemctl = stubs.appendingPathComponent("systemctl")
        // Written by a child process: a file this process wrote could still be open for writing in
        // a child another test thread is forking, and exec would then fail with ETXTBSY.
        let stub = "#!/bin/sh\necho \"$*\" >> '\(temp.path("systemctl.calls").path)'\n"
        let wrote = try sh("/bin/sh", ["-c", "cat > \"$0\" && chmod 755 \"$0\"", systemctl.path], stdin: stub)
        try #require(wrote.succeeded, "\(wrote)")
        for (name, script) in extra {
            let made = try sh("/bin/sh", ["-c", "cat > \"$0\" && chmod 755 \"$0\"", stubs.appendingPathComponent(name).path], stdin: script)
            try #require(made.succeeded, "\(made)")
        }
        var env = [
            "DESTDIR": temp.path("root").path,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
            "PATH": stubs.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "AWS_REGION": "",
        ]
        env.merge(settings) { _, new in new }
        let result = try sh("/bin/bash", [deployDir.appendingPathComponent("user-data.sh").path], env: env, timeout: 120)
        return Run(temp: temp, result: result)
    }

    /// A stand-in executable for the download (its bytes are what gets checked).
    static func fakeAgent(in temp: TempDir) throws -> URL {
        let url = temp.path("dist/riker-agent")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho fake riker-agent\n".utf8).write(to: url)
        return url
    }

    @Test func scriptsInDeployParse() throws {
        for name in ["user-data.sh", "install-agent.sh"] {
            let r = try sh("/bin/bash", ["-n", Self.deployDir.appendingPathComponent(name).path])
            #expect(r.succeeded, "\(name): \(r.output)")
        }
    }

    @Test func theUnitInUserDataIsTheOneInDeploy() throws {
        let script = try String(contentsOf: Self.deployDir.appendingPathComponent("user-data.sh"), encoding: .utf8)
        let start = try #require(script.range(of: "<<'UNIT'\n"))
        let end = try #require(script.range(of: "\nUNIT\n", range: start.upperBound..<script.endIndex))
        let unit = try String(contentsOf: Self.deployDir.appendingPathComponent("riker-agent.service"), encoding: .utf8)
        #expect(String(script[start.upperBound..<end.lowerBound]) + "\n" == unit)
    }

    @Test func installsTheAgentAndStartsItUnderTheInstanceIDFromIMDSv2() throws {
        let imds = try FakeIMDS(instanceID: "i-0feedc0ffee123456", region: "eu-north-1")
        let dist = try TempDir("dist")
        defer { dist.remove() }
        let binary = try Self.fakeAgent(in: dist)
        let sha = try sh("/usr/bin/sha256sum", [binary.path]).output.prefix(64)
        let run = try Self.runUserData([
            "RIKER_STORE": "s3://acme-releases/riker", "RIKER_APP": "shop", "RIKER_ENV": "staging",
            "RIKER_PORT": "8080", "RIKER_AGENT_URL": "file://" + binary.path, "RIKER_AGENT_SHA256": String(sha),
        ], imds: imds.endpoint)
        defer { run.temp.remove() }
        #expect(run.result.succeeded, "\(run.result)")
        #expect(run.result.output.contains("riker-agent started: instance i-0feedc0ffee123456 serves shop (staging)"))

        #expect(run.agentEnv == [
            "RIKER_STORE": "s3://acme-releases/riker", "RIKER_APP": "shop", "RIKER_ENV": "staging",
            "RIKER_INSTANCE_ID": "i-0feedc0ffee123456", "RIKER_PORT": "8080", "RIKER_HOST": "0.0.0.0",
            "AWS_REGION": "eu-north-1",
        ])
        let envMode = try FileManager.default.attributesOfItem(atPath: run.root.appendingPathComponent("etc/riker/agent.env").path)[.posixPermissions] as? NSNumber
        #expect(envMode?.intValue == 0o640)
        let unit = try #require(run.file("etc/systemd/system/riker-agent.service"))
        #expect(unit == (try String(contentsOf: Self.deployDir.appendingPathComponent("riker-agent.service"), encoding: .utf8)))
        #expect(unit.contains("EnvironmentFile=/etc/riker/agent.env"))
        #expect(unit.contains("--instance-id ${RIKER_INSTANCE_ID}") && unit.contains("--store ${RIKER_STORE}") && unit.contains("--port ${RIKER_PORT}"))

        let installed = run.root.appendingPathComponent("usr/local/bin/riker-agent")
        #expect(FileManager.default.isExecutableFile(atPath: installed.path))
        #expect(try Data(contentsOf: installed) == Data(contentsOf: binary))
        #expect(run.systemctlCalls == ["daemon-reload", "enable --now riker-agent.service"])
        #expect(imds.requests == [
            "PUT /latest/api/token ttl=21600 token=missing",
            "GET /latest/meta-data/instance-id ttl=- token=ok",
            "GET /latest/meta-data/placement/region ttl=- token=ok",
        ])
    }

    @Test func unfilledSettingsAreRefusedBeforeAnythingHappens() throws {
        let imds = try FakeIMDS()
        let run = try Self.runUserData(["RIKER_STORE": "", "RIKER_APP": "", "RIKER_AGENT_URL": ""], imds: imds.endpoint)
        defer { run.temp.remove() }
        #expect(!run.result.succeeded)
        #expect(run.result.output.contains("fill in RIKER_STORE, RIKER_APP and RIKER_AGENT_URL"))
        #expect(!FileManager.default.fileExists(atPath: run.root.path))
        #expect(run.systemctlCalls.isEmpty)
        #expect(imds.requests.isEmpty)
    }

    @Test func aBinaryWithTheWrongDigestIsNotInstalled() throws {
        let imds = try FakeIMDS()
        let dist = try TempDir("dist")
        defer { dist.remove() }
        let binary = try Self.fakeAgent(in: dist)
        let run = try Self.runUserData([
            "RIKER_STORE": "s3://acme/riker", "RIKER_APP": "shop", "RIKER_AGENT_URL": binary.path,
            "RIKER_AGENT_SHA256": String(repeating: "0", count: 64),
        ], imds: imds.endpoint)
        defer { run.temp.remove() }
        #expect(!run.result.succeeded)
        #expect(run.result.output.contains("\(binary.path) has SHA-256 "))
        let bin = try FileManager.default.contentsOfDirectory(atPath: run.root.appendingPathComponent("usr/local/bin").path)
        #expect(bin.isEmpty, "left behind: \(bin)")
        #expect(run.file("etc/systemd/system/riker-agent.service") == nil)
        #expect(run.systemctlCalls.isEmpty)
    }

    /// The staged unit's ExecStart, with the env file's values, starts the real (downloaded)
    /// riker-agent, which serves the release `desired` names for the instance IMDS reported.
    @Test func theInstalledUnitCommandServesTheDesiredRelease() async throws {
        try await withHarness { h in
            let imds = try FakeIMDS(instanceID: h.instance)
            try await h.release()
            try await h.setDesired(1, deploy: "d1")
            let run = try Self.runUserData([
                "RIKER_STORE": h.store.url, "RIKER_APP": h.app, "RIKER_ENV": h.env, "RIKER_PORT": String(h.port),
                "RIKER_HOST": "127.0.0.1", "RIKER_AGENT_URL": try AgentBinaryTests.binary(), "AWS_REGION": "us-east-1",
            ], imds: imds.endpoint)
            defer { run.temp.remove() }
            #expect(run.result.succeeded, "\(run.result)")

            // What systemd would run: ExecStart with ${VARS} from agent.env, paths inside the staging root.
            let unit = try #require(run.file("etc/systemd/system/riker-agent.service"))
            let execStart = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }).dropFirst("ExecStart=".count)
            let env = run.agentEnv
            var words = try execStart.split(separator: " ").map { word -> String in
                guard word.hasPrefix("${"), word.hasSuffix("}") else { return String(word) }
                return try #require(env[String(word.dropFirst(2).dropLast())], "unset \(word)")
            }
            words = words.map { $0.hasPrefix("/") ? run.root.path + $0 : $0 }
            try FileManager.default.createDirectory(atPath: run.root.path + "/var/lib/riker-agent", withIntermediateDirectories: true)
            #expect(words.first == run.root.path + "/usr/local/bin/riker-agent")

            let log = run.temp.path("agent.log")
            let fd = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            var spec = ProcessSpec(words[0], Array(words.dropFirst()))
            spec.stdout = .fd(fd)
            spec.stderr = .fd(fd)
            let agent = try ChildProcess.spawn(spec)
            close(fd)
            defer { agent.terminate(grace: 3) }
            let status = try await h.waitRunning(1, deploy: "d1")
            #expect(status.pid == agent.pid, "agent log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            #expect(h.answer()?.release == "v1")
            kill(agent.pid, SIGTERM)
            #expect(agent.wait(timeout: 15)?.code == 0)
        }
    }
}
