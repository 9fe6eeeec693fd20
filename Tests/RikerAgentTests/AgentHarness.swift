import Foundation
import RikerArchive
import RikerCore
import RikerHTTP
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// A store, an agent dir and helpers to pack apps into releases and watch the agent's status.
final class AgentHarness {
    let temp: TempDir
    let store: any ReleaseStore
    let app = "demo"
    let env = "production"
    let instance = "i-1"
    let agentDir: URL
    let port = freePort()
    private var agents: [(Agent, Task<Void, Error>)] = []

    /// `store`: where releases live (default: a local store in the temp dir).
    init(store: (any ReleaseStore)? = nil) throws {
        temp = try TempDir("riker-agent")
        self.store = store ?? LocalReleaseStore(directory: temp.path("store"))
        agentDir = temp.path("agent")
    }

    /// A web app that answers `RIKER_RELEASE pid GREETING` (GREETING comes from config or .profile.d).
    static let webApp = """
    import http.server, os
    body = " ".join([os.environ.get("RIKER_RELEASE", "?"), str(os.getpid()), os.environ.get("GREETING", "-")]).encode()
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    print("listening on", os.environ["PORT"], flush=True)
    http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
    """

    /// Packs `files` into a slug, stores it and creates the next release of the app env.
    @discardableResult
    func release(files: [String: String] = ["app.py": AgentHarness.webApp],
                 processes: [String: String] = ["web": "python3 app.py"],
                 config: [String: String] = [:], formation: [String: Int]? = nil,
                 manifest: AppManifest? = nil) async throws -> Release {
        let src = temp.path("src-\(UUID().uuidString.prefix(6))")
        for (path, text) in files {
            let url = src.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let packed = try SlugArchive.pack(directory: src, to: temp.path("\(src.lastPathComponent).\(SlugCompression.gzip.fileExtension)"), compression: .gzip)
        let (key, _) = try await store.storeSlug(app: app, file: packed.file, sha256: packed.sha256,
                                                 ext: packed.compression.fileExtension, tags: [:])
        return try await store.createRelease(Release(
            version: 0, app: app, env: env, commit: String(repeating: "ab", count: 20), ref: "refs/heads/main",
            builder: "test", processTypes: processes, artifact: key, sha256: packed.sha256, size: packed.size,
            config: config, createdBy: "test", description: "test release", formation: formation.map(Formation.init),
            manifest: manifest))
    }

    func setDesired(_ version: Int, deploy: String) async throws {
        try await store.setDesired(app, env, instance: instance, DesiredRelease(release: version, deploy: deploy))
    }

    func setApp(_ settings: [String: String]) async throws {
        try await store.put(StoreLayout.app(app), try JSONCoding.encode(AppSettings(name: app, settings: settings)), condition: .always)
    }

    var options: AgentOptions {
        var o = AgentOptions(storeURL: store.url, app: app, env: env, instanceID: instance, dir: agentDir, port: port, pollInterval: 0.1)
        o.grace = 3
        return o
    }

    /// Starts an agent in this process.
    @discardableResult
    func startAgent(_ options: AgentOptions? = nil) -> Agent {
        let agent = Agent(options: options ?? self.options, store: store, probe: CurlHealthProbe())
        let task = Task { try await agent.run() }
        agents.append((agent, task))
        return agent
    }

    /// Stops every agent started here and waits for them to finish.
    func stopAgents() async {
        for (agent, task) in agents {
            agent.stop()
            _ = try? await task.value
        }
        agents.removeAll()
    }

    func status() async throws -> InstanceStatus? { try await store.status(app, env, instance: instance) }

    /// Waits until the instance's status satisfies `condition`; returns it.
    @discardableResult
    func waitForStatus(timeout: Double = 30, _ condition: (InstanceStatus) -> Bool) async throws -> InstanceStatus {
        let deadline = Date().addingTimeInterval(timeout)
        var last: InstanceStatus?
        while Date() < deadline {
            last = try await status()
            if let last, condition(last) { return last }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        Issue.record("status never matched; last: \(String(describing: last))")
        throw RikerError(.timeout, "status never matched")
    }

    /// Waits for `deploy` to be reported running `version` and healthy (the deploy target's protocol).
    @discardableResult
    func waitRunning(_ version: Int, deploy: String?, timeout: Double = 30) async throws -> InstanceStatus {
        try await waitForStatus(timeout: timeout) { $0.deploy == deploy && $0.state == .running && $0.release == version && $0.healthy }
    }

    /// GET / through the agent's public port: the body, or nil if the request failed.
    func get(_ path: String = "/") -> String? {
        guard let r = try? HTTPClient.get("http://127.0.0.1:\(port)\(path)", timeout: 3), r.status == 200 else { return nil }
        return String(decoding: r.body, as: UTF8.self)
    }

    /// The fields of the web app's answer: release, pid, greeting.
    func answer() -> (release: String, pid: Int32, greeting: String)? {
        guard let body = get() else { return nil }
        let parts = body.split(separator: " ").map(String.init)
        guard parts.count == 3, let pid = Int32(parts[1]) else { return nil }
        return (parts[0], pid, parts[2])
    }

    /// Polls until `condition` holds or `timeout` passes.
    func eventually(timeout: Double = 10, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return condition()
    }

    func cleanup() async {
        await stopAgents()
        temp.remove()
    }
}

/// Whether a process exists and has not exited (a zombie waiting to be reaped counts as gone).
func processExists(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(close, offsetBy: 2)] != "Z"
}

/// Runs `body` with a fresh harness and always stops its agents and removes its files.
func withHarness(store: (any ReleaseStore)? = nil, _ body: (AgentHarness) async throws -> Void) async throws {
    let h = try AgentHarness(store: store)
    do { try await body(h) } catch {
        await h.cleanup()
        throw error
    }
    await h.cleanup()
}
