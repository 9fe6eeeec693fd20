import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// Issue 11's defects, each reproduced as a hostile user or a crashing operator would, against
/// a real sshd, real pushes and real processes.
@Suite(.serialized) struct TrustBoundaryTests {
    /// An app that answers what its process can see: its uid, and whether it can read Riker's
    /// keys, another app's config in the store, or another app's files.
    static let prober = """
    import http.server, json, os, sys
    root = os.environ["PROBE_ROOT"]
    def probe(path):
        try:
            if os.path.isdir(path): os.listdir(path); return "listed"
            open(path).read(1); return "read"
        except Exception as e:
            return type(e).__name__
    def answer():
        return json.dumps({"uid": os.getuid(),
            "keys": probe(root + "/keys.json"),
            "store": probe(root + "/store/apps/victim/production/config.env"),
            "victim": probe(root + "/instances/victim/production/local-1/releases"),
            "env": probe(root + "/instances/evil/production/local-1/env"),
            "repos": probe(root + "/repos")}).encode()
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            b = answer(); self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
        def log_message(self, *a): pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
    """

    /// 1. A key scoped to one app deploys code that runs as that app's own unprivileged user:
    /// it reads none of Riker's state nor another app's.
    @Test(.enabled(if: getuid() == 0, "needs root, as Riker's embedded default runs"))
    func anAppsProcessesCannotReadRikerOrOtherApps() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let victim = try AppRepo(files: ["index.html": "<h1>victim</h1>\n"], in: server.dir, name: "victim")
        #expect(try server.push(victim.url, app: "victim").succeeded)
        #expect(try server.riker(["config:set", "victim", "DATABASE_PASSWORD=hunter2"]).succeeded)

        let evilKey = try RikerServer.makeKey(in: server.dir.url, name: "evil")
        #expect(try server.riker(["apps:create", "evil"]).succeeded)
        try server.addKey(name: "evil", key: evilKey, admin: false, apps: ["evil"])
        #expect(try server.riker(["config:set", "evil", "PROBE_ROOT=\(server.root.path)"]).succeeded)
        let evil = try AppRepo(files: ["Procfile": "web: python3 probe.py\n", "probe.py": Self.prober], in: server.dir, name: "evil")
        let pushed = try server.push(evil.url, app: "evil", key: evilKey)
        #expect(pushed.succeeded, "\(pushed.output)")
        let url = try #require(deployedURL(pushed.output))
        let body = try #require(try httpGet(url)).body
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        #expect((seen["uid"] as? Int).map { $0 >= 300_000 } == true, "the app runs as \(seen["uid"] ?? "?")")
        for what in ["keys", "store", "victim", "env", "repos"] {
            #expect(seen[what] as? String == "PermissionError", "\(what): \(seen[what] ?? "?")")
        }
    }

    /// 2. A static site never serves dotfiles, and no environment file is in what it serves.
    @Test func aStaticSiteServesNoDotfilesAndNoSecrets() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let site = try AppRepo(files: ["index.html": "<h1>site</h1>\n", ".secret": "do-not-serve\n"], in: server.dir, name: "site")
        #expect(try server.riker(["apps:create", "site"]).succeeded)
        #expect(try server.riker(["config:set", "site", "API_KEY=sk-live-1234"]).succeeded)
        let r = try server.push(site.url, app: "site")
        #expect(r.succeeded, "\(r.output)")
        let url = try #require(deployedURL(r.output))
        #expect(try httpGet(url)?.status == 200)
        for path in ["/.riker-env", "/.secret", "/.profile.d/", "/.riker/static_server.py", "/%2eriker-env", "/sub/../.secret"] {
            let got = try #require(try httpGet(url + path))
            #expect(got.status == 404, "\(path) answered \(got.status)")
            #expect(!got.body.contains("sk-live-1234") && !got.body.contains("do-not-serve"))
        }
        let releases = server.root.appendingPathComponent("instances/site/production/local-1/releases")
        let found = try sh("grep", ["-rl", "sk-live-1234", releases.path])
        #expect(found.output.isEmpty, "secrets in the release dir: \(found.output)")
    }

    /// 3. Three pushes of different commits at once: one wins, the others are refused before
    /// they build, and what runs is what the branch says.
    @Test func concurrentPushesEndWithCurrentMatchingTheBranch() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let base = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n", "v.txt": "base\n"], in: server.dir, name: "race")
        #expect(try server.push(base.url, app: "race").succeeded)
        var clones: [AppRepo] = []
        for i in 1...3 {
            let dir = server.dir.path("race-\(i)")
            _ = try sh("cp", ["-R", base.url.path, dir.path])
            let clone = AppRepo(url: dir)
            try clone.write("v.txt", "push \(i)\n")
            _ = try clone.commitAll("push \(i)")
            clones.append(clone)
        }
        let pushes = clones.map { clone in Background { try server.push(clone.url, app: "race") } }
        let results = try pushes.map { try $0.wait() }
        let won = results.filter(\.succeeded)
        #expect(won.count == 1, "\(results.map(\.output))")
        for lost in results where !lost.succeeded {
            #expect(lost.output.contains("moved while this push waited"), "\(lost.output)")
            #expect(!lost.output.contains("-----> Released"), "a refused push built a release: \(lost.output)")
        }
        let branch = try sh("git", ["--git-dir", server.root.appendingPathComponent("repos/race.git").path, "rev-parse", "main"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let releases = try server.riker(["releases", "race", "--json"]).output
        let list = try #require(try JSONSerialization.jsonObject(with: Data(releases.utf8)) as? [[String: Any]])
        #expect(list.count == 2)
        #expect(list.first { $0["current"] as? Bool == true }?["commit"] as? String == branch)
    }

    /// 4. A build runs as its app's own user: it cannot read or write another app's cache, it
    /// cannot have Riker copy server directories, and nothing it starts outlives it.
    @Test(.enabled(if: getuid() == 0, "needs root, as Riker's embedded default runs"))
    func buildsCannotReachOtherAppsOrTheServer() throws {
        let packs = try TempDir("riker-trusted-packs")
        defer { packs.remove() }
        let server = try RikerServer(config: ["buildpack_dirs": packs.url.path])
        defer { server.stop() }
        let victim = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n"], in: server.dir, name: "victim")
        #expect(try server.push(victim.url, app: "victim").succeeded)
        let cache = server.root.appendingPathComponent("cache/victim")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try "victim's cached secret\n".write(to: cache.appendingPathComponent("cached.txt"), atomically: true, encoding: .utf8)

        // A trusted buildpack whose compile probes what the build can reach.
        let pack = packs.path("probe")
        try FileManager.default.createDirectory(at: pack.appendingPathComponent("bin"), withIntermediateDirectories: true)
        let compile = """
        #!/usr/bin/env bash
        cache=\(cache.path)
        cat "$cache/cached.txt" >/dev/null 2>&1 && echo "PROBE read-victim-cache" || echo "PROBE no-read"
        touch "$cache/pwned" 2>/dev/null && echo "PROBE wrote-victim-cache" || echo "PROBE no-write"
        ls \(server.root.path)/tmp >/dev/null 2>&1 && echo "PROBE listed-tmp" || echo "PROBE no-list"
        cat \(server.root.path)/keys.json >/dev/null 2>&1 && echo "PROBE read-keys" || echo "PROBE no-keys"
        setsid bash -c 'exec -a riker-escapee-4242 sleep 300' </dev/null >/dev/null 2>&1 &
        echo "PROBE uid=$(id -u)"
        """
        try compile.write(to: pack.appendingPathComponent("bin/compile"), atomically: true, encoding: .utf8)
        try "#!/usr/bin/env bash\necho probe\n".write(to: pack.appendingPathComponent("bin/detect"), atomically: true, encoding: .utf8)
        for f in ["compile", "detect"] { chmod(pack.appendingPathComponent("bin/\(f)").path, 0o755) }

        let evil = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n", ".buildpacks": pack.path + "\n"], in: server.dir, name: "evil")
        let r = try server.push(evil.url, app: "evil")
        #expect(r.succeeded, "\(r.output)")
        for line in ["PROBE no-read", "PROBE no-write", "PROBE no-list", "PROBE no-keys"] { #expect(r.output.contains(line), "\(r.output)") }
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("pwned").path))
        #expect(try sh("pgrep", ["-f", "riker-escapee-4242"]).output.isEmpty, "a process the build started outlived it")

        // A buildpack path outside the trusted dirs (here: the whole filesystem) is refused.
        try evil.write(".buildpacks", "/\n")
        _ = try evil.commitAll("copy everything")
        let copy = try server.push(evil.url, app: "evil")
        #expect(!copy.succeeded)
        #expect(copy.output.contains("outside the directories it trusts"), "\(copy.output)")

        for dir in ["repos", "store"] {
            let attrs = try FileManager.default.attributesOfItem(atPath: server.root.appendingPathComponent(dir).path)
            #expect(((attrs[.posixPermissions] as? NSNumber)?.intValue ?? 0o777) & 0o077 == 0, "\(dir) is open to others")
        }
    }

    /// 5. The deploying process is killed while a broken release installs: serve's next scan
    /// puts `current` back and the app keeps serving; the next push does not wait for the lock.
    @Test func aKilledDeployerIsRecoveredByWhoeverComesNext() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n", "v.txt": "one\n"], in: server.dir, name: "crash")
        let first = try server.push(repo.url, app: "crash")
        let url = try #require(deployedURL(first.output))
        #expect(try server.riker(["apps:set", "crash", "deploy.timeout_seconds=120"]).succeeded)
        let currentFile = server.root.appendingPathComponent("store/apps/crash/production/current")
        func current() -> String { (try? String(contentsOf: currentFile, encoding: .utf8)) ?? "" }

        try repo.write("Procfile", "web: sleep 600\n")
        _ = try repo.commitAll("never healthy")
        let push = Background { try server.push(repo.url, app: "crash") }
        // Wait until the deploy has moved current to v2, then kill the hook that runs it.
        var killed = false
        for _ in 0..<1200 where !killed {
            if current().contains("v2"),
               let pid = try sh("pgrep", ["-f", "riker --root \(server.root.path) hook pre-receive"]).output.split(separator: "\n").first.flatMap({ Int32($0) }) {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(100_000)
        }
        #expect(killed)
        #expect(!(try push.wait().succeeded))
        // serve's scan finds the lock of a dead process and puts current back on v1.
        for _ in 0..<100 where !current().contains("v1") { usleep(100_000) }
        #expect(current().contains("v1"))
        #expect(try httpGet(url + "/v.txt")?.body == "one\n")

        // A serve crash and restart (the agent with it) still serves v1.
        try server.restartServe()
        var served: String?
        for _ in 0..<100 { served = try httpGet(url + "/v.txt")?.body; if served == "one\n" { break }; usleep(100_000) }
        #expect(served == "one\n")

        // The next push goes straight through.
        try repo.write("Procfile", "web: python3 -m http.server $PORT\n")
        try repo.write("v.txt", "three\n")
        _ = try repo.commitAll("fixed")
        let next = try server.push(repo.url, app: "crash")
        #expect(next.succeeded, "\(next.output)")
        #expect(!next.output.contains("Waiting for another"), "\(next.output)")
        #expect(try httpGet(url + "/v.txt")?.body == "three\n")
    }

    /// 6, 7 and 9: no global options over SSH, no config value in any process's argv, help for
    /// app keys, their option-first verbs, and a clone that checks out main.
    @Test func sshVerbsTakeNoRootAndLeaveNoSecretsInArgv() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n"], in: server.dir, name: "demo")
        #expect(try server.push(repo.url, app: "demo").succeeded)
        let devKey = try RikerServer.makeKey(in: server.dir.url, name: "dev")
        try server.addKey(name: "dev", key: devKey, admin: false, apps: ["demo"])

        let elsewhere = try TempDir("riker-elsewhere")
        defer { elsewhere.remove() }
        for command in ["config demo --root \(elsewhere.url.path)", "config --root=\(elsewhere.url.path) demo", "help --root \(elsewhere.url.path)"] {
            let r = try server.ssh(command, key: devKey)
            #expect(!r.succeeded)
            #expect(r.output.contains("is not accepted over SSH"), "\(command): \(r.output)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.url.path).isEmpty)

        // While config:set deploys, no process shows the value on its command line.
        let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
        let set = Background { try server.ssh("config:set demo 'DB_PASSWORD=\(secret)'", key: devKey) }
        var seen: [String] = []
        var done = false
        while !done {
            for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
                // The test's own ssh client has it, as any client does; no process of the server may.
                if let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8), cmd.contains(secret),
                   !cmd.hasPrefix("/usr/bin/ssh\0") { seen.append(cmd) }
            }
            done = set.isDone
            usleep(20_000)
        }
        #expect(try set.wait().succeeded)
        #expect(seen.isEmpty, "the value was on a command line: \(seen.prefix(2))")

        let help = try server.ssh("help", key: devKey)
        #expect(help.succeeded, "\(help.output)")
        #expect(help.output.contains("releases") && !help.output.contains("keys:add"), "\(help.output)")
        let releases = try server.ssh("releases --limit 5 demo", key: devKey)
        #expect(releases.succeeded, "\(releases.output)")
        #expect(!(try server.ssh("nonsense-verb", key: devKey)).succeeded)

        let clone = server.dir.path("clone")
        let ssh = (["ssh", "-i", server.adminKey.path] + server.sshCommand).joined(separator: " ")
        let cloned = try sh("git", ["clone", server.remoteURL("demo"), clone.path], env: ["GIT_SSH_COMMAND": ssh])
        #expect(cloned.succeeded, "\(cloned.output)")
        #expect(!cloned.output.contains("warning"), "\(cloned.output)")
        #expect(try sh("git", ["-C", clone.path, "rev-parse", "--abbrev-ref", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines) == "main")
    }

    /// 9. An app destroyed after serve crashed (its agent left running) stops answering and is gone.
    @Test func aDestroyedAppStopsEvenWhenAnEarlierServeStartedItsAgent() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n"], in: server.dir, name: "gone")
        let r = try server.push(repo.url, app: "gone")
        let url = try #require(deployedURL(r.output))
        try server.crashAndRestartServe()
        #expect(try httpGet(url)?.status == 200, "the orphaned agent keeps serving across the serve crash")
        #expect(try server.riker(["apps:destroy", "gone", "--confirm", "gone"]).succeeded)
        var answered = true
        for _ in 0..<150 { answered = try httpGet(url) != nil; if !answered { break }; usleep(100_000) }
        #expect(!answered, "the destroyed app still answers")
        #expect(!(try server.riker(["apps:list"]).output.contains("gone")))
    }
}
