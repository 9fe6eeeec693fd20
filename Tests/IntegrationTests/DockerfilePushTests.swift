import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// Dockerfile apps on the local target, end to end: `git push` over a real sshd, a real podman
/// build in the server's store, blobs in the real local release store, the agent `riker serve`
/// runs starting the container, and HTTP through the agent's proxy. `FROM scratch` with Debian's
/// static busybox, so no registry is needed.
@Suite(.serialized) struct DockerfilePushTests {
    /// busybox httpd serving `www/` with the image's own ENTRYPOINT (no Procfile).
    static let httpd = """
    FROM scratch
    COPY busybox /bin/busybox
    COPY www /www
    EXPOSE 8080
    ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
    """

    @Test func imageAppIsServedReplacedRolledBackAndPromotedWithoutRebuildOrUpload() throws {
        let server = try RikerServer()
        defer { server.stopWithImages() }
        let repo = try AppRepo(image: ["Dockerfile": Self.httpd, "www/index.html": "one\n"], in: server.dir, name: "box")

        let first = try server.push(repo.url, app: "box")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("-----> Building box from Dockerfile (podman)"), "\(first.output)")
        #expect(first.output.contains("-----> Released v1 ("))
        let url = try #require(deployedURL(first.output), "no Deployed line in: \(first.output)")
        #expect(body(url) == "one")
        let v1 = try #require(try server.manifest("box", 1))
        #expect(try server.release("box", 1)["builder"] as? String == "dockerfile")

        // A second push replaces it on the same URL.
        try repo.write("www/index.html", "two\n")
        try repo.commitAll("two")
        let second = try server.push(repo.url, app: "box")
        #expect(second.succeeded, "\(second.output)")
        #expect(deployedURL(second.output) == url)
        #expect(body(url) == "two")
        let v2 = try #require(try server.manifest("box", 2))
        #expect(v2 != v1)

        // Rollback to v1: v3 runs v1's image; nothing is built and no blob is written.
        let blobs = server.storedBlobs("box")
        let back = try server.riker(["rollback", "box", "v1"])
        #expect(back.succeeded, "\(back.output)")
        #expect(back.output.contains("Released v3"), "\(back.output)")
        #expect(!back.output.contains("Building") && !back.output.contains("STEP"), "\(back.output)")
        #expect(try server.manifest("box", 3) == v1)
        #expect(body(url) == "one")
        #expect(server.storedBlobs("box") == blobs)

        // Promote to staging: the same image on staging's own port, nothing uploaded.
        let promoted = try server.riker(["promote", "box", "--from", "production", "--to", "staging"])
        #expect(promoted.succeeded, "\(promoted.output)")
        #expect(!promoted.output.contains("Building"), "\(promoted.output)")
        let stagingURL = try #require(deployedURL(promoted.output))
        #expect(stagingURL != url)
        #expect(body(stagingURL) == "one")
        #expect(try server.manifest("box", 1, env: "staging") == v1)
        #expect(server.storedBlobs("box") == blobs)
        #expect(body(url) == "one", "production keeps serving")

        // A restart of riker serve stops the containers with their agents and brings both back.
        try server.restartServe()
        #expect(eventually(timeout: 60) { body(url) == "one" && body(stagingURL) == "one" })
    }

    @Test func failingRunStepRejectsThePushWithItsOutputAndTheOldImageKeepsServing() throws {
        let server = try RikerServer()
        defer { server.stopWithImages() }
        let repo = try AppRepo(image: ["Dockerfile": Self.httpd, "www/index.html": "good\n"], in: server.dir, name: "runfail")
        let first = try server.push(repo.url, app: "runfail")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        let good = try repo.head()

        try repo.write("Dockerfile", Self.httpd + "\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo compiling assets; echo assets are broken >&2; exit 3\"]\n")
        try repo.commitAll("a RUN step that fails")
        let bad = try server.push(repo.url, app: "runfail")
        #expect(!bad.succeeded)
        #expect(bad.output.contains("pre-receive hook declined"), "\(bad.output)")
        #expect(bad.output.contains("remote:        compiling assets"), "the RUN step's output: \(bad.output)")
        #expect(bad.output.contains("remote:        assets are broken"), "\(bad.output)")
        #expect(bad.output.contains("remote:  !     Dockerfile build failed: building at STEP"), "the engine's error line: \(bad.output)")
        #expect(bad.output.contains("exit status 3"), "\(bad.output)")

        let head = try sh("git", ["--git-dir", server.root.appendingPathComponent("repos/runfail.git").path, "rev-parse", "refs/heads/main"])
        #expect(head.output.trimmingCharacters(in: .whitespacesAndNewlines) == good)
        let releases = try server.riker(["releases", "runfail", "--json"])
        #expect(releases.output.components(separatedBy: "\"version\"").count - 1 == 1, "\(releases.output)")
        #expect(body(url) == "good")
    }

    @Test func oneChangedFileUploadsOnlyItsLayerTheConfigAndTheManifest() throws {
        let server = try RikerServer()
        defer { server.stopWithImages() }
        let dockerfile = """
        FROM scratch
        COPY busybox /bin/busybox
        COPY assets /www/assets
        COPY www/index.html /www/index.html
        EXPOSE 8080
        ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
        """
        let assets = (0..<200).map { "asset line \($0)\n" }.joined()
        let repo = try AppRepo(image: ["Dockerfile": dockerfile, "www/index.html": "first\n", "assets/app.css": assets],
                               in: server.dir, name: "layers")
        let first = try server.push(repo.url, app: "layers")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("Uploaded 5 of 5 blobs"), "three layers, config, manifest: \(first.output)")
        let before = server.storedBlobs("layers")
        #expect(before.count == 5)

        try repo.write("www/index.html", "second\n")
        try repo.commitAll("one file")
        let second = try server.push(repo.url, app: "layers")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("Uploaded 3 of 5 blobs"), "\(second.output)")
        #expect(second.output.contains("2 already stored"), "\(second.output)")
        let after = server.storedBlobs("layers")
        let written = Set(after.keys).subtracting(before.keys)
        #expect(written.count == 3)
        let manifest = try #require(try server.manifest("layers", 2))
        let config = try #require((try server.release("layers", 2)["image"] as? [String: Any])?["config"] as? String)
        #expect(written.contains(String(manifest.dropFirst("sha256:".count))))
        #expect(written.contains(String(config.dropFirst("sha256:".count))))
        #expect(before.allSatisfy { after[$0.key] == $0.value }, "a blob the store had was written again")
        #expect(body(try #require(deployedURL(second.output))) == "second")
    }

    @Test func configSetMakesAReleaseWhoseContainerSeesTheValueNeverOnACommandLine() throws {
        let server = try RikerServer()
        defer { server.stopWithImages() }
        // A Procfile web command (run with /bin/sh in the image) writes what it sees, then serves.
        let dockerfile = """
        FROM scratch
        COPY busybox /bin/busybox
        RUN ["/bin/busybox", "ln", "-s", "busybox", "/bin/sh"]
        COPY www /www
        """
        let repo = try AppRepo(image: [
            "Dockerfile": dockerfile, "www/index.html": "hi\n",
            "Procfile": "web: echo \"greeting=$GREETING\" > /www/greeting.txt && exec /bin/busybox httpd -f -p $PORT -h /www\n",
        ], in: server.dir, name: "conf")
        let first = try server.push(repo.url, app: "conf")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        #expect(body(url + "/greeting.txt") == "greeting=")

        let secret = "s3cret-\(UUID().uuidString.prefix(8))"
        let set = try server.ssh("config:set conf GREETING=\(secret)")
        #expect(set.succeeded, "\(set.output)")
        #expect(set.output.contains("Released v2"), "\(set.output)")
        #expect(!set.output.contains(secret))
        #expect(body(url + "/greeting.txt") == "greeting=\(secret)")
        #expect(try server.manifest("conf", 2) == server.manifest("conf", 1), "the same image, not a rebuild")

        // The value is in the container's environment, on no command line on this machine.
        let id = try server.engine.run(["ps", "--quiet", "--filter", "label=riker.release=v2"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!id.isEmpty && !id.contains("\n"), "one v2 container: \(id)")
        let pid = try server.engine.run(["inspect", "--format", "{{.State.Pid}}", id]).trimmingCharacters(in: .whitespacesAndNewlines)
        let environ = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))
        #expect(String(decoding: environ, as: UTF8.self).contains("GREETING=\(secret)"))
        let leaks = allCommandLines().filter { $0.value.contains(secret) }
        #expect(leaks.isEmpty, "on a command line: \(leaks)")

        // The env file the value went through stays on the host, the owner's alone: the
        // container mounts nothing of the host.
        let envFile = server.root.appendingPathComponent("instances/conf/production/local-1/env/v2-web.1.env")
        #expect((try FileManager.default.attributesOfItem(atPath: envFile.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try server.engine.run(["inspect", "--format", "{{len .Mounts}}", id]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let seen = try server.engine.run(["exec", id, "/bin/busybox", "find", "/", "-xdev", "-name", "v2-web.1.env"])
        #expect(seen.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "visible in the container: \(seen)")
        for log in ["serve.log", "instances/conf/production/local-1/agent.log"] {
            #expect(!server.log(of: log).contains(secret), "\(log)")
        }
    }
}
