import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// `script/install` on this machine, into a temp PREFIX and root, for a temp user and a temp
/// sshd configuration (so it touches neither the machine's sshd nor its systemd): the binaries
/// find their resources from outside the checkout, the user and permissions are right, the
/// unit and the sshd configuration pass their tools' checks, a real sshd lets the user in with
/// the forced command only, and `riker doctor` says so. Running it twice changes nothing.
@Suite(.serialized, .enabled(if: geteuid() == 0, "script/install creates a user and runs as root"))
struct InstallTests {
    /// One install under a temp dir; `remove()` deletes the user and the files.
    struct Installed {
        let tmp: TempDir
        let user = "rkt\(Int.random(in: 10000...99999))"
        var prefix: URL { tmp.path("prefix") }
        var root: URL { tmp.path("var/riker") }
        var sshDir: URL { tmp.path("ssh") }
        var sshdConfig: URL { sshDir.appendingPathComponent("sshd_config") }
        var unit: URL { tmp.path("systemd/riker-serve.service") }
        var riker: String { prefix.appendingPathComponent("bin/riker").path }

        /// A temp dir others may pass through (the user runs the installed binary from it), and
        /// an sshd configuration with (or without) a drop-in directory.
        init(dropIns: Bool) throws {
            tmp = try TempDir("riker-install")
            chmod(tmp.url.path, 0o755)
            try FileManager.default.createDirectory(at: sshDir, withIntermediateDirectories: true)
            _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", sshDir.appendingPathComponent("host_ed25519").path])
            let include = dropIns ? "Include \(sshDir.path)/sshd_config.d/*.conf\n" : ""
            try """
            \(include)HostKey \(sshDir.path)/host_ed25519
            PasswordAuthentication yes
            PermitRootLogin prohibit-password
            UsePAM no
            X11Forwarding yes

            """.write(to: sshdConfig, atomically: true, encoding: .utf8)
        }

        @discardableResult
        func install() throws -> CommandResult {
            try sh(packageRoot().appendingPathComponent("script/install").path, ["--bin-dir", productsDir.path, "--without-podman"], env: [
                "PREFIX": prefix.path, "RIKER_ROOT": root.path, "RIKER_USER": user,
                "SYSTEMD_DIR": tmp.path("systemd").path, "SSHD_CONFIG": sshdConfig.path,
            ])
        }

        /// `riker doctor --json` from outside the checkout, with no RIKER_HOME: the checks by name.
        func doctor() throws -> (ok: Bool, checks: [String: (status: String, message: String)]) {
            let spec = ProcessSpec(riker, ["--root", root.path, "doctor", "--json", "--sshd-config", sshdConfig.path],
                                   environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"],
                                   workingDirectory: URL(fileURLWithPath: "/"))
            var lines: [String] = []
            _ = try ProcessRunner.run(spec, timeout: 120) { lines.append($0) }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(lines.joined(separator: "\n").utf8)) as? [String: Any],
                                    "\(lines)")
            var checks: [String: (String, String)] = [:]
            for c in json["checks"] as? [[String: String]] ?? [] { checks[c["check"] ?? ""] = (c["status"] ?? "", c["message"] ?? "") }
            return (json["ok"] as? Bool ?? true, checks)
        }

        /// A real sshd on a free port for this install's configuration, with an admin key registered
        /// by the user; `run` runs a command over it as the user.
        func startSSHD() throws -> SSHD {
            let key = tmp.path("admin_ed25519")
            _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", key.path])
            let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8)
            guard try sh("runuser", ["-u", user, "--", riker, "--root", root.path, "keys:add", "admin", "--admin"], cwd: root, stdin: pub).succeeded else {
                throw RikerError(.process, "keys:add as \(user) failed")
            }
            let port = freePort()
            try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
            var spec = ProcessSpec("/usr/sbin/sshd", ["-D", "-e", "-f", sshdConfig.path, "-o", "Port=\(port)", "-o", "ListenAddress=127.0.0.1",
                                                      "-o", "PidFile=none"])
            let log = open(tmp.path("sshd.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            spec.stdout = .fd(log); spec.stderr = .fd(log)
            let sshd = try ChildProcess.spawn(spec)
            close(log)
            let deadline = Date().addingTimeInterval(10)
            while !Loopback.accepts(port), Date() < deadline { usleep(50_000) }
            return SSHD(sshd: sshd, port: port, user: user, key: key)
        }

        func log(_ name: String) -> String { (try? String(contentsOf: tmp.path(name), encoding: .utf8)) ?? "" }

        func remove() {
            _ = try? sh("userdel", [user])
            _ = try? sh("groupdel", [user])
            tmp.remove()
        }
    }

    struct SSHD {
        let sshd: ChildProcess
        let port: Int
        let user: String
        let key: URL
        var options: [String] {
            ["-i", key.path, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-p", String(port)]
        }

        func run(_ command: String) throws -> CommandResult {
            try sh("ssh", ["-F", "/dev/null"] + options + ["\(user)@127.0.0.1", command], stdin: "")
        }
    }

    static func mode(_ url: URL) -> (mode: mode_t, uid: uid_t) {
        var info = stat()
        lstat(url.path, &info)
        return (info.st_mode & 0o7777, info.st_uid)
    }

    @Test func installsBinariesAUserSSHDAndAUnitThatDoctorApproves() throws {
        let it = try Installed(dropIns: true); defer { it.remove() }
        let first = try it.install()
        #expect(first.succeeded, "\(first.output)")

        // Binaries and resources in PREFIX.
        for path in ["bin/riker", "bin/riker-agent", "share/riker/hooks/pre-receive", "share/riker/buildpacks/python/bin/detect"] {
            #expect(FileManager.default.isExecutableFile(atPath: it.prefix.appendingPathComponent(path).path), "\(path)")
        }

        // The user: home is the root, a real shell, not locked.
        let passwd = try sh("getent", ["passwd", it.user]).output.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        #expect(passwd.count == 7 && passwd[5] == it.root.path && passwd[6] == "/bin/bash", "\(passwd)")
        let shadow = try sh("getent", ["shadow", it.user]).output.split(separator: ":", omittingEmptySubsequences: false)
        #expect(shadow.count > 2 && shadow[1] == "*")
        let uid = try #require(getpwnam(it.user)?.pointee.pw_uid)

        // The root and its keys belong to the user alone.
        #expect(Self.mode(it.root) == (0o751, uid))
        #expect(Self.mode(it.root.appendingPathComponent(".ssh")) == (0o700, uid))
        #expect(Self.mode(it.root.appendingPathComponent(".ssh/authorized_keys")) == (0o600, uid))

        // The user registers a key with the installed riker; its forced command runs PREFIX/bin/riker.
        let key = it.tmp.path("admin_ed25519")
        _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", key.path])
        let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8)
        let added = try sh("runuser", ["-u", it.user, "--", it.riker, "--root", it.root.path, "keys:add", "admin", "--admin"], cwd: it.root, stdin: pub)
        #expect(added.succeeded, "\(added.output)")
        #expect(Self.mode(it.root.appendingPathComponent("keys.json")) == (0o600, uid))
        let keys = try String(contentsOf: it.root.appendingPathComponent(".ssh/authorized_keys"), encoding: .utf8)
        #expect(keys.hasPrefix("command=\"\(it.riker) --root \(it.root.path) ssh-command admin\",restrict ssh-ed25519 "))

        // sshd: the drop-in is valid; the user gets Riker's keys file and no passwords, others keep theirs.
        let dropIn = it.sshDir.appendingPathComponent("sshd_config.d/riker-\(it.user).conf")
        #expect(FileManager.default.fileExists(atPath: dropIn.path))
        let test = try sh("/usr/sbin/sshd", ["-t", "-f", it.sshdConfig.path])
        #expect(test.succeeded, "\(test.output)")
        let forUser = try sshdSettings(it, user: it.user)
        #expect(forUser["authorizedkeysfile"] == it.root.path + "/.ssh/authorized_keys")
        #expect(forUser["passwordauthentication"] == "no" && forUser["disableforwarding"] == "yes" && forUser["permittty"] == "no")
        let forRoot = try sshdSettings(it, user: "root")
        #expect(forRoot["passwordauthentication"] == "yes" && forRoot["permitrootlogin"] == "without-password")
        #expect(forRoot["authorizedkeysfile"] == ".ssh/authorized_keys .ssh/authorized_keys2")

        // The unit runs the installed riker on this root, and systemd's own checker accepts it.
        let unit = try String(contentsOf: it.unit, encoding: .utf8)
        #expect(unit.contains("\nExecStart=\(it.riker) --root \(it.root.path) serve\n"))
        #expect(unit.contains("\nUser=root\n") && unit.contains("\nWorkingDirectory=\(it.root.path)\n"))
        #expect(Self.mode(it.unit).mode == 0o644)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let verify = try sh("/usr/bin/systemd-analyze", ["verify", it.unit.path])
            #expect(verify.succeeded, "\(verify.output)")
        } else {
            print("InstallTests: no systemd-analyze here, the unit was not verified")
        }

        // doctor, from outside the checkout: everything but serve (not started here) is fine.
        let (ok, checks) = try it.doctor()
        #expect(!ok)
        #expect(checks["resources"]?.status == "ok" && checks["resources"]?.message.hasPrefix(it.prefix.path + "/share/riker:") == true,
                "\(String(describing: checks["resources"]))")
        for name in ["binaries", "root", "user", ".ssh/", ".ssh/authorized_keys", "keys.json", "forced-commands", "sshd", "git", "setpriv", "unshare", "store"] {
            #expect(checks[name]?.status == "ok", "\(name): \(String(describing: checks[name]))")
        }
        #expect(checks["forced-commands"]?.message == "1 key run \(it.riker) --root \(it.root.path)")
        #expect(checks["serve"]?.status == "problem")

        // Again: nothing changes.
        let again = try it.install()
        #expect(again.succeeded, "\(again.output)")
        #expect(try String(contentsOf: it.unit, encoding: .utf8) == unit)
        #expect(try FileManager.default.contentsOfDirectory(atPath: it.sshDir.appendingPathComponent("sshd_config.d").path) == [dropIn.lastPathComponent])
        #expect(try String(contentsOf: it.root.appendingPathComponent(".ssh/authorized_keys"), encoding: .utf8) == keys)
    }

    @Test func aRealSSHDLetsTheUserInWithTheForcedCommandOnly() throws {
        let it = try Installed(dropIns: true); defer { it.remove() }
        #expect(try it.install().succeeded)
        let ssh = try it.startSSHD(); defer { ssh.sshd.terminate(grace: 5) }
        let listed = try ssh.run("keys:list")
        #expect(listed.succeeded && listed.output.contains("admin"), "\(listed.output)\n\(it.log("sshd.log"))")
        let shell = try ssh.run("id")
        #expect(!shell.succeeded && !shell.output.contains("uid="), "\(shell.output)")
    }

    /// The user sshd runs the forced command as cannot switch users; root `riker serve` can, so
    /// pushes are built there, each app as its own build user, and the pusher still sees it all.
    @Test func pushesAsTheUserAreBuiltByRootServeAsTheAppsOwnBuildUser() throws {
        let it = try Installed(dropIns: true); defer { it.remove() }
        #expect(try it.install().succeeded)
        let ssh = try it.startSSHD(); defer { ssh.sshd.terminate(grace: 5) }
        var spec = ProcessSpec(it.riker, ["--root", it.root.path, "serve", "--listen", "127.0.0.1:0"],
                               environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"],
                               workingDirectory: URL(fileURLWithPath: "/"))
        let log = open(it.tmp.path("serve.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        spec.stdout = .fd(log); spec.stderr = .fd(log)
        let serve = try ChildProcess.spawn(spec)
        close(log)
        defer { serve.terminate(grace: 30) }
        let endpoint = it.root.appendingPathComponent("run/serve.json")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: endpoint.path), Date() < deadline { usleep(100_000) }
        let published = Self.mode(endpoint)
        #expect(published.mode == 0o600 && published.uid != 0, "the endpoint is the user's alone: \(published) \(it.log("serve.log"))")

        let repo = try AppRepo(files: [
            "Procfile": "web: python3 app.py\n",
            "app.py": "import http.server, os\nhttp.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\n",
            "requirements.txt": "# nothing to install\n",
            "bin/post_compile": "#!/bin/sh\necho \"build-uid=$(id -u)\"\n",
        ], in: it.tmp, name: "hello")
        chmod(repo.url.appendingPathComponent("bin/post_compile").path, 0o755)
        try AppRepo.git(repo.url, ["add", "-A"])
        try repo.commitAll("hook executable")
        let push = try sh("git", ["push", "ssh://\(it.user)@127.0.0.1:\(ssh.port)/hello.git", "HEAD:refs/heads/main"], cwd: repo.url,
                          env: ["GIT_SSH_COMMAND": "ssh -F /dev/null " + ssh.options.joined(separator: " ")])
        #expect(push.succeeded, "\(push.output)\n\(it.log("serve.log").suffix(3000))")

        // The build ran as hello's build user: not root, not the user sshd runs.
        let uids = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: it.root.appendingPathComponent("uids.json"))) as? [String: Int])
        let index = try #require(uids["hello"], "\(uids)")
        let built = push.output.split(separator: "\n").first { $0.contains("build-uid=") }
            .flatMap { $0.split(separator: "=").last }.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(built == String(300_000 + 2 * index), "hello's build user is \(300_000 + 2 * index): \(push.output)")
        let url = try #require(deployedURL(push.output), "\(push.output)")
        #expect(try httpGet(url + "/Procfile")?.body == "web: python3 app.py\n")
        // post-receive (as the user) tagged the release serve made.
        let tags = try sh("git", ["--git-dir", it.root.appendingPathComponent("repos/hello.git").path, "tag", "-l", "riker/*"])
        #expect(tags.output.contains("riker/production/v1"), "\(tags.output)")
        let builds = try ssh.run("builds hello")
        #expect(builds.succeeded && builds.output.contains("succeeded"), "\(builds.output)")
    }

    @Test func withoutADropInDirectoryAMatchBlockIsAppendedOnce() throws {
        let it = try Installed(dropIns: false); defer { it.remove() }
        #expect(try it.install().succeeded)
        #expect(try it.install().succeeded)
        let config = try String(contentsOf: it.sshdConfig, encoding: .utf8)
        #expect(config.components(separatedBy: "Match User \(it.user)\n").count == 2, "\(config)")
        #expect(config.hasPrefix("HostKey ") && config.hasSuffix("# END riker (\(it.user))\n"), "\(config)")
        #expect(try sh("/usr/sbin/sshd", ["-t", "-f", it.sshdConfig.path]).succeeded)
        #expect(try sshdSettings(it, user: it.user)["authorizedkeysfile"] == it.root.path + "/.ssh/authorized_keys")
        #expect(try sshdSettings(it, user: "root")["passwordauthentication"] == "yes")
    }

    /// `sshd -T` for `user`: keyword → value.
    private func sshdSettings(_ it: Installed, user: String) throws -> [String: String] {
        let r = try sh("/usr/sbin/sshd", ["-T", "-f", it.sshdConfig.path, "-C", "user=\(user),host=localhost,addr=127.0.0.1"])
        guard r.succeeded else { throw RikerError(.process, "sshd -T: \(r.output)") }
        var settings: [String: String] = [:]
        for line in r.output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { settings[String(parts[0])] = String(parts[1]) }
        }
        return settings
    }
}
