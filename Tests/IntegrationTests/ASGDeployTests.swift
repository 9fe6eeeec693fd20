import Foundation
import RikerAWS
import RikerCore
import RikerHTTP
import RikerTestSupport
import Testing

/// One real riker-agent process per instance id, each in its own directory and port, all
/// reading the Riker server's store — as agents on EC2 instances would.
final class AgentFleet: @unchecked Sendable {
    let server: RikerServer
    let lock = NSLock()
    var agents: [String: (process: ChildProcess, port: Int)] = [:]

    init(server: RikerServer) { self.server = server }

    @discardableResult
    func start(_ id: String, app: String = "web") throws -> Int {
        let port = freePort()
        let dir = server.dir.path("agents/\(id)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var spec = ProcessSpec(server.bin.appendingPathComponent("riker-agent").path, [
            "run", "--store", "file://" + server.root.appendingPathComponent("store").path, "--app", app, "--env", "production",
            "--instance-id", id, "--dir", dir.path, "--port", String(port), "--poll-interval", "0.1", "--grace", "2",
        ])
        let log = open(dir.appendingPathComponent("agent.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        spec.stdout = .fd(log); spec.stderr = .fd(log)
        let p = try ChildProcess.spawn(spec)
        close(log)
        lock.withLock { agents[id] = (p, port) }
        return port
    }

    /// The instance dies: its agent and the apps it runs (in their own process groups) at once.
    func kill(_ id: String) {
        guard let process = lock.withLock({ agents[id] })?.process else { return }
        ProcessTree.kill(process.pid)
        _ = process.wait()
    }

    var ports: [String: Int] { lock.withLock { agents.mapValues(\.port) } }

    /// What instance `id` serves at /version.txt (nil if it does not answer 200).
    func version(_ id: String) -> String? {
        guard let port = ports[id], let r = try? HTTPClient.get("http://127.0.0.1:\(port)/version.txt", timeout: 2), r.status == 200 else { return nil }
        return String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until every listed instance serves `version`.
    func waitAll(_ ids: [String], serve version: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if ids.allSatisfy({ self.version($0) == version }) { return true }
            usleep(100_000)
        }
        return false
    }

    func stopAll() { lock.withLock { agents.values.map(\.process) }.forEach { $0.terminate(grace: 5) } }
}

/// Polls every 50 ms: which instances are registered in the target group AND answer HTTP 200.
final class ServingProber: @unchecked Sendable {
    let lock = NSLock()
    var fewest = Int.max
    var everDeregistered = Set<String>()
    var samples = 0
    private var stopped = false
    private var thread: Thread?

    init(fleet: AgentFleet, elb: ELBv2Client, targetGroup: String) {
        let t = Thread { [self] in
            while !lock.withLock({ stopped }) {
                let registered = healthyTargets(elb, targetGroup)
                let all = Set(fleet.ports.keys)
                let serving = registered.filter { fleet.version($0) != nil }.count
                lock.withLock {
                    samples += 1
                    fewest = min(fewest, serving)
                    everDeregistered.formUnion(all.subtracting(registered))
                }
                usleep(50_000)
            }
        }
        thread = t
        t.start()
    }

    func stop() -> (fewest: Int, deregistered: Set<String>, samples: Int) {
        lock.withLock { stopped = true }
        usleep(200_000)
        return lock.withLock { (fewest, everDeregistered, samples) }
    }
}

/// Instances the target group calls healthy, read from a plain thread (the tests block theirs).
func healthyTargets(_ elb: ELBv2Client, _ targetGroup: String) -> Set<String> {
    let sem = DispatchSemaphore(value: 0)
    var ids = Set<String>()
    Task {
        ids = Set(((try? await elb.describeTargetHealth(targetGroup: targetGroup)) ?? []).filter(\.isHealthy).map(\.id))
        sem.signal()
    }
    sem.wait()
    return ids
}

/// Runs a blocking closure on its own thread (not the cooperative pool); `wait()` joins it.
final class Background<T>: @unchecked Sendable {
    private let sem = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<T, Error>?
    init(_ body: @escaping () throws -> T) {
        Thread { [self] in
            let r = Result { try body() }
            lock.withLock { result = r }
            sem.signal()
        }.start()
    }
    /// Whether the closure has finished.
    var isDone: Bool { lock.withLock { result != nil } }
    func wait() throws -> T { sem.wait(); sem.signal(); return try lock.withLock { result! }.get() }
}

@Suite(.serialized) struct ASGDeployTests {
    struct Setup {
        let server: RikerServer
        let aws: AWSFixture
        let group: String
        let targetGroup: String
        let ids: [String]
        let fleet: AgentFleet
        let repo: AppRepo
        let elb: ELBv2Client

        func stop() { fleet.stopAll(); server.stop() }

        func commit(_ version: String, procfile: String? = nil) throws {
            try repo.write("version.txt", version + "\n")
            if let procfile { try repo.write("Procfile", procfile) }
            try repo.commitAll(version)
        }
    }

    func setUp(size: Int, settings: [String] = []) throws -> Setup {
        let moto = try MotoServer.shared()
        let aws = AWSFixture(moto: moto)
        var conf = moto.environment
        conf["AWS_REGION"] = moto.region
        let server = try RikerServer(config: conf)
        let tg = try aws.targetGroup("web")
        let group = try aws.group("web", size: size, max: size + 5, targetGroups: [tg])
        let ids = try aws.instanceIDs(group: group)
        #expect(ids.count == size)
        #expect(try server.riker(["apps:create", "web"]).succeeded)
        let set = try server.riker(["apps:set", "web", "target=asg", "asg.name=\(group)", "asg.target_groups=\(tg)",
                                    "deploy.drain_seconds=0", "deploy.timeout_seconds=20"] + settings)
        #expect(set.succeeded, "\(set.output)")
        let fleet = AgentFleet(server: server)
        for id in ids { try fleet.start(id) }
        let repo = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n", "version.txt": "v1\n"], in: server.dir, name: "web")
        var env = moto.environment
        env["AWS_REGION"] = moto.region
        return Setup(server: server, aws: aws, group: group, targetGroup: tg, ids: ids, fleet: fleet, repo: repo,
                     elb: try ELBv2Client.fromEnvironment(env))
    }

    @Test func pushRollsAcrossTheGroupKeepingMinHealthy() throws {
        let s = try setUp(size: 3, settings: ["deploy.batch=1", "deploy.min_healthy=60"])
        defer { s.stop() }
        let first = try s.server.push(s.repo.url, app: "web")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("Deploying v1 to 3 instances in 3 batches"), "\(first.output)")
        #expect(s.fleet.waitAll(s.ids, serve: "v1"))

        try s.commit("v2")
        let prober = ServingProber(fleet: s.fleet, elb: s.elb, targetGroup: s.targetGroup)
        let second = try s.server.push(s.repo.url, app: "web")
        let seen = prober.stop()
        #expect(second.succeeded, "\(second.output)")
        for id in s.ids {
            #expect(s.fleet.version(id) == "v2", "\(id)")
            #expect(second.output.contains("\(id): deregistered"))
            #expect(second.output.contains("\(id): in service"))
        }
        #expect(seen.samples > 3)
        #expect(seen.fewest >= 2, "serving fell to \(seen.fewest) of 3 (min healthy 60% = 2)")
        #expect(seen.deregistered == Set(s.ids), "the target group should have seen each instance leave")
        let health = try awaitHealth(s)
        #expect(health == Set(s.ids))
        let ps = try s.server.riker(["ps", "web"])
        for id in s.ids { #expect(ps.output.contains("\(id)  v2  running  healthy"), "\(ps.output)") }
    }

    @Test func aTenInstanceGroupDeploysInQuarterBatches() throws {
        let s = try setUp(size: 10, settings: ["deploy.batch=25%", "deploy.min_healthy=75"])
        defer { s.stop() }
        let r = try s.server.push(s.repo.url, app: "web")
        #expect(r.succeeded, "\(r.output)")
        #expect(r.output.contains("Deploying v1 to 10 instances in 5 batches"), "\(r.output)")
        #expect(s.fleet.waitAll(s.ids, serve: "v1"))
    }

    @Test func unhealthyReleaseFailsInTheFirstBatchAndRollsBack() throws {
        let s = try setUp(size: 3, settings: ["deploy.batch=1", "deploy.min_healthy=60"])
        defer { s.stop() }
        #expect(try s.server.push(s.repo.url, app: "web").succeeded)
        #expect(s.fleet.waitAll(s.ids, serve: "v1"))
        _ = try s.server.riker(["apps:set", "web", "deploy.timeout_seconds=4"])

        try s.commit("v2", procfile: "web: sleep 600\n")
        let bad = try s.server.push(s.repo.url, app: "web")
        #expect(!bad.succeeded)
        #expect(bad.output.contains("\(s.ids[0]) could not start v2"), "\(bad.output)")
        #expect(bad.output.contains("v1 is still serving"), "\(bad.output)")
        #expect(!bad.output.contains("\(s.ids[1]): deregistered"), "only the first batch may be touched")
        for id in s.ids { #expect(s.fleet.version(id) == "v1") }
        let info = try s.server.riker(["apps:info", "web", "--json"])
        #expect(info.output.contains("\"current\" : 1"), "\(info.output)")
        #expect(try awaitHealth(s) == Set(s.ids))
    }

    @Test func anAgentKilledMidDeployFailsCleanlyAndRollsBack() throws {
        let s = try setUp(size: 3, settings: ["deploy.batch=1", "deploy.min_healthy=60", "deploy.timeout_seconds=3"])
        defer { s.stop() }
        #expect(try s.server.push(s.repo.url, app: "web").succeeded)
        #expect(s.fleet.waitAll(s.ids, serve: "v1"))

        try s.commit("v2")
        let push = Background { try s.server.push(s.repo.url, app: "web") }
        // Kill the second instance's agent as soon as the first one runs v2.
        let deadline = Date().addingTimeInterval(30)
        while s.fleet.version(s.ids[0]) != "v2" && Date() < deadline { usleep(50_000) }
        s.fleet.kill(s.ids[1])
        let r = try push.wait()
        #expect(!r.succeeded)
        #expect(r.output.contains("\(s.ids[1]) did not report v2 healthy within 33s"), "\(r.output)")
        #expect(r.output.contains("Rolling back"), "\(r.output)")
        #expect(s.fleet.waitAll([s.ids[0], s.ids[2]], serve: "v1"))
        #expect(try awaitHealth(s) == Set(s.ids))
    }

    @Test func instancesLaunchedDuringAndAfterADeployComeUpOnTheCurrentRelease() throws {
        let s = try setUp(size: 3, settings: ["deploy.batch=1", "deploy.min_healthy=60"])
        defer { s.stop() }
        #expect(try s.server.push(s.repo.url, app: "web").succeeded)

        try s.commit("v2")
        let push = Background { try s.server.push(s.repo.url, app: "web") }
        let deadline = Date().addingTimeInterval(30)
        while s.fleet.version(s.ids[0]) != "v2" && Date() < deadline { usleep(50_000) }
        try s.aws.aws(["autoscaling", "set-desired-capacity", "--auto-scaling-group-name", s.group, "--desired-capacity", "4"])
        let during = try #require(try s.aws.instanceIDs(group: s.group).first { !s.ids.contains($0) })
        try s.fleet.start(during)
        #expect(try push.wait().succeeded)
        #expect(s.fleet.waitAll(s.ids + [during], serve: "v2"))

        try s.aws.aws(["autoscaling", "set-desired-capacity", "--auto-scaling-group-name", s.group, "--desired-capacity", "5"])
        let after = try #require(try s.aws.instanceIDs(group: s.group).first { !s.ids.contains($0) && $0 != during })
        try s.fleet.start(after)
        #expect(s.fleet.waitAll([after], serve: "v2"))
    }

    /// Instances the target group calls healthy, once it settles.
    func awaitHealth(_ s: Setup) throws -> Set<String> { healthyTargets(s.elb, s.targetGroup) }
}
