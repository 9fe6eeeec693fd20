import Foundation
import RikerCore
import Testing
@testable import RikerCommands

/// `riker doctor`'s checks of a root on disk: each problem is one line that names the file and the fix.
@Suite struct DoctorTests {
    /// A root under /tmp owned by whoever runs the test, with `files` (path → mode, content).
    private func root(_ files: [String: (mode_t, String)]) throws -> URL {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("riker-doctor-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".ssh"), withIntermediateDirectories: true)
        chmod(root.path, 0o751)
        chmod(root.appendingPathComponent(".ssh").path, 0o700)
        for (path, (mode, text)) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            chmod(url.path, mode)
        }
        return root
    }

    private func context(_ root: URL, binary: String = "/bin/true") -> DoctorContext {
        DoctorContext(paths: RikerPaths(root: root), sshdConfig: URL(fileURLWithPath: "/nonexistent/sshd_config"),
                      rikerBinary: URL(fileURLWithPath: binary), agentBinary: URL(fileURLWithPath: "/nonexistent/riker-agent"),
                      resourceDir: root, isRoot: false)
    }

    @Test func filesOthersCanReadAreProblemsWithTheirChmod() throws {
        let dir = try root([".ssh/authorized_keys": (0o600, ""), "keys.json": (0o644, "[]"), "riker.conf": (0o640, "AWS_SECRET_ACCESS_KEY=x\n"),
                            "repos/web.git/HEAD": (0o644, "ref")])
        defer { try? FileManager.default.removeItem(at: dir) }
        chmod(dir.appendingPathComponent("repos").path, 0o755)
        let found = Dictionary(uniqueKeysWithValues: RootChecks.permissions(context(dir), localStore: true).map { ($0.check, $0) })
        #expect(found[".ssh/"]?.status == .ok && found[".ssh/authorized_keys"]?.status == .ok && found["store/"]?.status == .ok)
        #expect(found["keys.json"]?.status == .problem)
        #expect(found["keys.json"]?.message == "\(dir.path)/keys.json (key ring) is 0644, open to others: chmod 600 \(dir.path)/keys.json")
        #expect(found["riker.conf"]?.message.hasSuffix("is 0640, open to others: chmod 600 \(dir.path)/riker.conf") == true)
        #expect(found["repos/"]?.message.hasSuffix("is 0755, open to others: chmod o-rw \(dir.path)/repos") == true)
        #expect(!found.values.contains { $0.message.contains("AWS_SECRET") })
    }

    @Test func aMissingAuthorizedKeysFileIsAProblem() throws {
        let dir = try root([:]); defer { try? FileManager.default.removeItem(at: dir) }
        let found = RootChecks.permissions(context(dir), localStore: false).first { $0.check == ".ssh/authorized_keys" }
        #expect(found?.status == .problem && found?.message.hasPrefix("\(dir.path)/.ssh/authorized_keys is missing: run script/install") == true)
    }

    @Test func forcedCommandsMustRunAnExistingRikerWithThisRoot() throws {
        let dir = try root([:]); defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent(".ssh/authorized_keys")
        func check(_ text: String) throws -> DoctorFinding {
            try Data(text.utf8).write(to: keys)
            return ForcedCommandCheck.check(context(dir))
        }
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKb admin"
        #expect(try check("command=\"/bin/true --root \(dir.path) ssh-command admin\",restrict \(key)\n")
            == .ok("forced-commands", "1 key run /bin/true --root \(dir.path)"))
        #expect(try check("# comment\n\n\(key)\n").message.hasPrefix("line 3 of \(keys.path) has no forced command, so that key gets a shell"))
        #expect(try check("\(key) command=\"/bin/true\"\n").status == .problem)
        #expect(try check("command=\"/gone/riker --root \(dir.path) ssh-command admin\",restrict \(key)\n").message
            == "line 1 of \(keys.path) runs /gone/riker, which does not exist: run riker --root \(dir.path) keys:sync as the root's owner")
        #expect(try check("command=\"/bin/true --root /srv/other ssh-command admin\",restrict \(key)\n").message
            .contains("uses root /srv/other, not \(dir.path)"))
        #expect(try check("command=\"/bin/false --root \(dir.path) ssh-command admin\",restrict \(key)\n").status == .warning)
        #expect(try check("").status == .warning)
    }

    @Test func authorizedKeysFileEntriesExpandLikeSSHDs() {
        let account = DoctorContext.Account(name: "riker", uid: 990, gid: 990, home: "/var/lib/riker", shell: "/bin/bash")
        #expect(SSHDCheck.expand(".ssh/authorized_keys", account: account) == "/var/lib/riker/.ssh/authorized_keys")
        #expect(SSHDCheck.expand("%h/.ssh/authorized_keys", account: account) == "/var/lib/riker/.ssh/authorized_keys")
        #expect(SSHDCheck.expand("/etc/keys/%u.%U", account: account) == "/etc/keys/riker.990")
    }

    @Test func theReportIsNotOKWithAProblemButIsWithWarnings() {
        #expect(DoctorReport([.ok("a", "x"), .warning("b", "y")]).ok)
        #expect(!DoctorReport([.ok("a", "x"), .problem("c", "z")]).ok)
        #expect(DoctorFinding.problem("serve", "not running").line == "PROBLEM  serve                not running")
    }
}
