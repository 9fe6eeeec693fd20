import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// Dockerfile apps on the ASG target: a push over the real sshd builds with real podman, the
/// rolling deploy runs against moto's Auto Scaling and ELBv2, and each instance is a real
/// riker-agent process with its own podman store (as on its own EC2 instance), fetching the
/// image blob by blob from the store.
@Suite(.serialized) struct DockerfileASGTests {
    struct Setup {
        let server: RikerServer
        let aws: AWSFixture
        let ids: [String]
        let fleet: AgentFleet

        /// The podman store of instance `id`'s agent (`DIR/containers`).
        func agentEngine(_ id: String) -> ContainerEngine {
            RikerServer.podman(storage: server.dir.path("agents/\(id)/containers"))
        }

        func stop() {
            fleet.stopAll()
            server.stopWithImages(also: ids.map(agentEngine))
        }
    }

    func setUp(app: String, size: Int, settings: [String]) throws -> Setup {
        let moto = try MotoServer.shared()
        let aws = AWSFixture(moto: moto)
        var conf = moto.environment
        conf["AWS_REGION"] = moto.region
        let server = try RikerServer(config: conf)
        let tg = try aws.targetGroup(app)
        let group = try aws.group(app, size: size, max: size + 2, targetGroups: [tg])
        let ids = try aws.instanceIDs(group: group)
        #expect(try server.riker(["apps:create", app]).succeeded)
        let set = try server.riker(["apps:set", app, "target=asg", "asg.name=\(group)", "asg.target_groups=\(tg)",
                                    "deploy.drain_seconds=0"] + settings)
        #expect(set.succeeded, "\(set.output)")
        return Setup(server: server, aws: aws, ids: ids, fleet: AgentFleet(server: server))
    }

    /// About 1.5 min here for both pushes: the first moves the ~64 MB (zstd) base layer to
    /// each of the three agents, the second only the app's layer.
    @Test func pythonImageOnAnImportedBaseRollsOutToThreeAgentsAndAnUpdateMovesOnlyTheAppLayer() throws {
        let s = try setUp(app: "pyimg", size: 3, settings: ["deploy.batch=1", "deploy.min_healthy=60", "deploy.timeout_seconds=240"])
        defer { s.stop() }
        #expect(s.ids.count == 3)
        for id in s.ids { try s.fleet.start(id, app: "pyimg") }
        let base = try PythonBaseImage.importInto(s.server.engine)
        let repo = try AppRepo(files: ["Dockerfile": """
            FROM \(base)
            WORKDIR /app
            COPY . /app
            CMD python3 -m http.server "$PORT"
            """, "version.txt": "v1\n"], in: s.server.dir, name: "pyimg")

        let first = try s.server.push(repo.url, app: "pyimg")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("-----> Building pyimg from Dockerfile (podman)"), "\(first.output)")
        #expect(first.output.contains("Deploying v1 to 3 instances in 3 batches"), "\(first.output)")
        #expect(s.fleet.waitAll(s.ids, serve: "v1"))
        for id in s.ids { #expect(agentLog(s, id).contains("v1: fetched"), "\(id) fetched the image from the store") }

        try repo.write("version.txt", "v2\n")
        try repo.commitAll("v2")
        let second = try s.server.push(repo.url, app: "pyimg")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("Uploaded 3 of 4 blobs"), "\(second.output)")
        #expect(s.fleet.waitAll(s.ids, serve: "v2"))
        for id in s.ids {
            // The base layer stays; the new app layer and config are all that move.
            #expect(agentLog(s, id).contains("v2: fetched 2 of 3 blobs"), "\(id): \(agentLog(s, id))")
            #expect(try s.server.riker(["ps", "pyimg"]).output.contains("\(id)  v2  running  healthy"))
        }
    }

    /// An instance without podman (hidden from its agent by a private mount) reports a failed
    /// status naming what to install; the deploy stops there and the agent keeps running.
    @Test func anInstanceWithoutPodmanReportsAClearFailureAndTheAgentKeepsRunning() throws {
        let s = try setUp(app: "nopod", size: 1, settings: ["deploy.min_healthy=0", "deploy.timeout_seconds=30"])
        defer { s.stop() }
        let id = try #require(s.ids.first)
        let dir = s.server.dir.path("agents/\(id)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let hide = ["/usr/bin/podman", "/usr/local/bin/docker"].filter { FileManager.default.fileExists(atPath: $0) }
            .map { "mount --bind /dev/null \($0) && " }.joined()
        var spec = ProcessSpec("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", hide + #"exec "$0" "$@""#,
            s.server.bin.appendingPathComponent("riker-agent").path, "run",
            "--store", "file://" + s.server.root.appendingPathComponent("store").path, "--app", "nopod", "--env", "production",
            "--instance-id", id, "--dir", dir.path, "--port", String(freePort()), "--poll-interval", "0.1"])
        let log = open(dir.appendingPathComponent("agent.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        spec.stdout = .fd(log); spec.stderr = .fd(log)
        let agent = try ChildProcess.spawn(spec)
        close(log)
        defer { agent.terminate(grace: 5) }

        let repo = try AppRepo(image: ["Dockerfile": DockerfilePushTests.httpd, "www/index.html": "hi\n"], in: s.server.dir, name: "nopod")
        let push = try s.server.push(repo.url, app: "nopod")
        #expect(!push.succeeded)
        #expect(push.output.contains("\(id) could not start v1: cannot run v1 (a Dockerfile image) on this host: "
            + "this host cannot build or run images: install podman (apt-get install podman runc catatonit) or start a Docker engine"),
            "\(push.output)")
        #expect(agent.poll() == nil, "the agent must not crash: \(agentLog(s, id))")
        let status = try String(contentsOf: s.server.root.appendingPathComponent("store/apps/nopod/production/instances/\(id)/status"), encoding: .utf8)
        #expect(status.contains("\"state\" : \"failed\"") && status.contains("install podman"), "\(status)")
    }

    func agentLog(_ s: Setup, _ id: String) -> String {
        (try? String(contentsOf: s.server.dir.path("agents/\(id)/agent.log"), encoding: .utf8)) ?? ""
    }
}
