import Foundation
import RikerTestSupport
import Testing

/// What the SSH endpoint refuses: unknown keys, keys without access, hostile commands.
@Suite struct SSHAccessTests {
    @Test func unknownKeyCannotPush() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let stranger = try RikerServer.makeKey(in: server.dir.url, name: "stranger")
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let r = try server.push(repo.url, app: "nope", key: stranger)
        #expect(!r.succeeded)
        #expect(r.output.contains("Permission denied"), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: server.root.appendingPathComponent("repos/nope.git").path))
    }

    @Test func keyWithoutAccessToTheAppIsRefused() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let dev = try RikerServer.makeKey(in: server.dir.url, name: "dev")
        try server.addKey(name: "dev", key: dev, admin: false, apps: ["theirs"])
        let repo = try AppRepo(example: "procfile-only", in: server.dir)

        let r = try server.push(repo.url, app: "mine", key: dev)
        #expect(!r.succeeded)
        #expect(r.output.contains("key dev may not access mine"), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: server.root.appendingPathComponent("repos/mine.git").path))

        // Nor can it create apps of its own name through admin verbs.
        let create = try server.ssh("apps:create mine", key: dev)
        #expect(!create.succeeded)
        #expect(create.output.contains("may not run apps:create"), "\(create.output)")
    }

    @Test(arguments: [
        "git-receive-pack '../x.git'",
        "git-receive-pack 'a;id'",
        "bash",
        "git-receive-pack '\(String(repeating: "a", count: 200))'",
        "git-upload-pack '/etc/passwd'",
        "apps:list; touch /tmp/riker-pwned",
        "git-receive-pack 'x.git' && id",
        "$(id)",
    ])
    func hostileCommandsAreRefusedWithOneLineAndNothingCreated(command: String) throws {
        let server = try RikerServer()
        defer { server.stop() }
        let before = try sh("find", [server.root.path, "-not", "-name", "*.log"]).output
        let r = try server.ssh(command)
        #expect(!r.succeeded)
        let lines = r.output.split(separator: "\n")
        #expect(lines.count == 1, "\(r.output)")
        #expect(r.output.contains(" !     "), "\(r.output)")
        let after = try sh("find", [server.root.path, "-not", "-name", "*.log"]).output
        #expect(before == after)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/riker-pwned"))
    }

    @Test func emptyCommandGetsNoShell() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let r = try server.ssh(nil)
        #expect(!r.succeeded)
        #expect(r.output.contains("does not offer a shell"), "\(r.output)")
    }

    @Test func adminVerbsWorkOverSSHLikeLocally() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let created = try server.ssh("apps:create demo")
        #expect(created.succeeded, "\(created.output)")
        let remote = try server.ssh("apps:list")
        let local = try server.riker(["apps:list"])
        #expect(remote.output == local.output)
        #expect(remote.output.contains("demo"))
        let bad = try server.ssh("config:set demo 'BAD KEY=1'")
        #expect(!bad.succeeded)
        let set = try server.ssh("config:set demo 'GREETING=hello world'")
        #expect(set.succeeded, "\(set.output)")
        #expect(!set.output.contains("hello world"))
        #expect(try server.riker(["config", "demo"]).output.contains("hello world"))
    }
}
