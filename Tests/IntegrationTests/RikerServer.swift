import Foundation
import RikerCore
import RikerTestSupport

/// A real Riker on this machine for one test: its own root, a real OpenSSH sshd on a free
/// 127.0.0.1 port with Riker's forced command, an admin key, and `riker serve`.
final class RikerServer {
    let dir: TempDir
    let root: URL
    let sshPort: Int
    /// Where `riker serve` answers HTTP (webhooks, builds): the same port across restarts.
    let httpPort: Int
    let bin: URL
    let user: String
    private var sshd: ChildProcess?
    private var serve: ChildProcess?
    /// Processes a crashed serve left behind (`crashAndRestartServe`), killed with all they
    /// started since at `stop`.
    private var orphans: [pid_t] = []
    /// Private key of the admin registered at start.
    let adminKey: URL

    /// `config` goes into ROOT/riker.conf before anything starts (store URL, AWS settings).
    init(config: [String: String] = [:]) throws {
        dir = try TempDir("riker-it")
        root = dir.path("root")
        if !config.isEmpty {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try AtomicFile.write(Data(EnvFile.encode(config).utf8), to: root.appendingPathComponent("riker.conf"), mode: 0o600)
        }
        bin = productsDir
        user = ProcessInfo.processInfo.environment["USER"] ?? "root"
        sshPort = freePort()
        httpPort = freePort()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sshd"), withIntermediateDirectories: true)
        adminKey = try Self.makeKey(in: dir.url, name: "admin")
        try addKey(name: "admin", key: adminKey, admin: true)
        try startSSHD()
        try startServe()
    }

    static func makeKey(in dir: URL, name: String) throws -> URL {
        let key = dir.appendingPathComponent("\(name)_ed25519")
        let r = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.path])
        guard r.succeeded else { throw RikerError(.process, "ssh-keygen: \(r.output)") }
        return key
    }

    /// Runs `riker --root ROOT ARGS…` locally.
    @discardableResult
    func riker(_ args: [String], stdin: String? = nil) throws -> CommandResult {
        try sh(bin.appendingPathComponent("riker").path, ["--root", root.path] + args, env: ["RIKER_HOME": packageRoot().path], stdin: stdin)
    }

    func addKey(name: String, key: URL, admin: Bool, apps: [String] = []) throws {
        let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8)
        let r = try riker(["keys:add", name] + (admin ? ["--admin"] : []) + apps.flatMap { ["--app", $0] }, stdin: pub)
        guard r.succeeded else { throw RikerError(.process, "keys:add: \(r.output)") }
    }

    private func startSSHD() throws {
        let hostKey = root.appendingPathComponent("sshd/host_ed25519")
        _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey.path])
        let config = root.appendingPathComponent("sshd/sshd_config")
        try """
        Port \(sshPort)
        ListenAddress 127.0.0.1
        HostKey \(hostKey.path)
        PidFile \(root.path)/sshd/sshd.pid
        AuthorizedKeysFile \(root.path)/.ssh/authorized_keys
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin forced-commands-only
        StrictModes no
        UsePAM no
        SetEnv RIKER_HOME=\(packageRoot().path)

        """.write(to: config, atomically: true, encoding: .utf8)
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        var spec = ProcessSpec("/usr/sbin/sshd", ["-D", "-e", "-f", config.path])
        let log = open(root.appendingPathComponent("sshd/sshd.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        spec.stderr = .fd(log)
        spec.stdout = .fd(log)
        sshd = try ChildProcess.spawn(spec)
        close(log)
        try waitForPort(sshPort)
    }

    private func startServe() throws {
        var spec = ProcessSpec(bin.appendingPathComponent("riker").path, ["--root", root.path, "serve", "--listen", "127.0.0.1:\(httpPort)"])
        spec.environment["RIKER_HOME"] = packageRoot().path
        let logFD = open(root.appendingPathComponent("serve.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        spec.stderr = .fd(logFD)
        spec.stdout = .fd(logFD)
        serve = try ChildProcess.spawn(spec)
        close(logFD)
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("serve.pid").path) {
            guard Date() < deadline else { throw RikerError(.timeout, "riker serve did not start: \(log(of: "serve.log"))") }
            usleep(50_000)
        }
        do { try waitForPort(httpPort, timeout: 20) } catch {
            throw RikerError(.timeout, "riker serve does not answer HTTP on \(httpPort): \(log(of: "serve.log"))")
        }
        // A root serve publishes its push endpoint once it listens: wait for that too, so a test
        // starts from a root that serve no longer changes on its own.
        let endpoint = root.appendingPathComponent("run/serve.json")
        let published = Date().addingTimeInterval(20)
        while geteuid() == 0, !FileManager.default.fileExists(atPath: endpoint.path), Date() < published { usleep(20_000) }
    }

    /// `http://127.0.0.1:PORT` of `riker serve`.
    var httpBase: String { "http://127.0.0.1:\(httpPort)" }

    /// Stops `riker serve` (and with it the apps) and starts it again.
    func restartServe() throws {
        serve?.terminate(grace: 30)
        try? FileManager.default.removeItem(at: root.appendingPathComponent("serve.pid"))
        try startServe()
    }

    /// Kills `riker serve` with SIGKILL (its agents keep running, holding their locks) and
    /// starts a new one on the same root.
    func crashAndRestartServe() throws {
        if let serve { orphans += ProcessTree.descendants(of: serve.pid) }
        serve?.signal(SIGKILL)
        _ = serve?.wait()
        try? FileManager.default.removeItem(at: root.appendingPathComponent("serve.pid"))
        try startServe()
    }

    func waitForPort(_ port: Int, timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if Loopback.accepts(port) { return }
            usleep(50_000)
        }
        throw RikerError(.timeout, "nothing listens on \(port)")
    }

    func log(of name: String) -> String {
        (try? String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    var sshCommand: [String] {
        ["-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-p", String(sshPort)]
    }

    /// `ssh -i KEY user@127.0.0.1 COMMAND` (the command exactly as the client sends it).
    func ssh(_ command: String?, key: URL? = nil, stdin: String? = nil) throws -> CommandResult {
        var args = sshCommand + ["-i", (key ?? adminKey).path, "\(user)@127.0.0.1"]
        if let command { args.append(command) }
        return try sh("ssh", args, stdin: stdin ?? "")
    }

    func remoteURL(_ app: String) -> String { "ssh://\(user)@127.0.0.1:\(sshPort)/\(app).git" }

    /// `git push` from `repo` to APP over SSH with `key`.
    func push(_ repo: URL, app: String, key: URL? = nil, refspec: String = "HEAD:refs/heads/main") throws -> CommandResult {
        let ssh = (["ssh", "-i", (key ?? adminKey).path] + sshCommand).joined(separator: " ")
        return try sh("git", ["push", remoteURL(app), refspec], cwd: repo, env: ["GIT_SSH_COMMAND": ssh])
    }

    func stop() {
        stopProcesses()
        dir.remove()
    }

    /// Stops `riker serve` (and with it the apps) and sshd, leaving the files.
    func stopProcesses() {
        serve?.terminate(grace: 30)
        sshd?.terminate(grace: 5)
        // What a crashed serve left running (its agents and their apps) goes with the test.
        for pid in orphans { ProcessTree.kill(pid) }
    }
}

/// A git repository made from one of `examples/` (or files given), with one commit.
struct AppRepo {
    let url: URL

    init(example: String, in dir: TempDir) throws {
        url = dir.path("src-\(example)")
        _ = try sh("cp", ["-R", packageRoot().appendingPathComponent("examples/\(example)").path, url.path])
        try Self.git(url, ["init", "-q", "-b", "main"])
        try commitAll("initial")
    }

    /// A repository already at `url` (a copy of another, say).
    init(url: URL) { self.url = url }

    init(files: [String: String], in dir: TempDir, name: String) throws {
        url = dir.path("src-\(name)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (path, text) in files { try write(path, text) }
        try Self.git(url, ["init", "-q", "-b", "main"])
        try commitAll("initial")
    }

    func write(_ path: String, _ text: String) throws {
        let f = url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: f.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: f, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func commitAll(_ message: String) throws -> String {
        try Self.git(url, ["add", "-A"])
        try Self.git(url, ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", message])
        return try Self.git(url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    static func git(_ dir: URL, _ args: [String]) throws -> CommandResult {
        let r = try sh("git", args, cwd: dir)
        guard r.succeeded else { throw RikerError(.process, "git \(args.joined(separator: " ")): \(r.output)") }
        return r
    }
}

/// GET `url` with curl; nil if it could not connect.
func httpGet(_ url: String) throws -> (status: Int, body: String)? {
    let r = try sh("curl", ["-s", "-m", "5", "-w", "\n%{http_code}", url])
    guard r.succeeded else { return nil }
    let lines = r.output.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
}

/// The `http://127.0.0.1:PORT` from a push's `-----> Deployed: URL` line.
func deployedURL(_ output: String) -> String? {
    output.split(separator: "\n").compactMap { line -> String? in
        guard let r = line.range(of: "-----> Deployed: ") else { return nil }
        return String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
    }.last
}
