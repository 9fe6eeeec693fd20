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

        func remove() {
            _ = try? sh("userdel", [user])
            _ = try? sh("groupdel", [user])
            tmp.remove()
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
        let key = it.tmp.path("admin_ed25519")
        _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", key.path])
        let pub = try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8)
        #expect(try sh("runuser", ["-u", it.user, "--", it.riker, "--root", it.root.path, "keys:add", "admin", "--admin"], cwd: it.root, stdin: pub).succeeded)

        let port = freePort()
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        var spec = ProcessSpec("/usr/sbin/sshd", ["-D", "-e", "-f", it.sshdConfig.path, "-o", "Port=\(port)", "-o", "ListenAddress=127.0.0.1",
                                                  "-o", "PidFile=none"])
        let log = open(it.tmp.path("sshd.log").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        spec.stdout = .fd(log); spec.stderr = .fd(log)
        let sshd = try ChildProcess.spawn(spec)
        close(log)
        defer { sshd.terminate(grace: 5) }
        let deadline = Date().addingTimeInterval(10)
        while !Loopback.accepts(port), Date() < deadline { usleep(50_000) }

        func ssh(_ command: String) throws -> CommandResult {
            try sh("ssh", ["-F", "/dev/null", "-i", key.path, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-p", String(port),
                           "\(it.user)@127.0.0.1", command], stdin: "")
        }
        let listed = try ssh("keys:list")
        let sshdLog = (try? String(contentsOf: it.tmp.path("sshd.log"), encoding: .utf8)) ?? ""
        #expect(listed.succeeded && listed.output.contains("admin"), "\(listed.output)\n\(sshdLog)")
        let shell = try ssh("id")
        #expect(!shell.succeeded && !shell.output.contains("uid="), "\(shell.output)")
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
