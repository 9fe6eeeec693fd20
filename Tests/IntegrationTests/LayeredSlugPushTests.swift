import Foundation
import RikerTestSupport
import Testing

/// Layered slugs end to end: real pushes over sshd, the python buildpack with real pip, the
/// local store and a real riker-agent.
@Suite(.serialized) struct LayeredSlugPushTests {
    /// The blobs in the local store of `app`.
    private func blobs(_ server: RikerServer, _ app: String) -> Set<String> {
        let dir = server.root.appendingPathComponent("store/apps/\(app)/blobs/sha256")
        return Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
    }

    /// Inode of each blob in the local store of `app`: a blob written again gets a new one
    /// (the local store writes a temporary file and renames it over the key).
    private func blobInodes(_ server: RikerServer, _ app: String) -> [String: UInt64] {
        let dir = server.root.appendingPathComponent("store/apps/\(app)/blobs/sha256")
        var result: [String: UInt64] = [:]
        for name in blobs(server, app) {
            var st = stat()
            if stat(dir.appendingPathComponent(name).path, &st) == 0 { result[name] = UInt64(st.st_ino) }
        }
        return result
    }

    /// The lines the local agent of `app` logged about assembling releases.
    private func assembled(_ server: RikerServer, _ app: String) -> [String] {
        let log = server.root.appendingPathComponent("instances/\(app)/production/local-1/agent.log")
        return ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains("assembled from") }.map(String.init)
    }

    @Test func aOneLineChangeUploadsAndMovesOnlyTheAppLayerAndRollbackMovesNothing() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let app = """
        import http.server, os, six
        body = ("%s six-%s" % (open("version.txt").read().strip(), six.__version__)).encode()
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
        """
        let repo = try AppRepo(files: ["requirements.txt": "six==1.16.0\n", "app.py": app, "version.txt": "one\n"], in: server.dir, name: "lay")
        let first = try server.push(repo.url, app: "lay")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("in 2 layers: .heroku "), "\(first.output)")
        let url = try #require(deployedURL(first.output))
        #expect(try httpGet(url)?.body == "one six-1.16.0")
        let before = blobs(server, "lay")
        #expect(before.count == 3, "two layers and the manifest: \(before)")
        let inodes = blobInodes(server, "lay")

        try repo.write("version.txt", "two\n")
        try repo.commitAll("one line")
        let second = try server.push(repo.url, app: "lay")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("reusing cached packages"))
        #expect(second.output.contains("(unchanged, not packed again)"), "\(second.output)")
        #expect(second.output.contains("Uploaded 2 of 3 blobs"), "\(second.output)")
        #expect(try httpGet(url)?.body == "two six-1.16.0")
        // The store got the app layer and the manifest: two writes.
        let added = blobs(server, "lay").subtracting(before)
        #expect(added.count == 2, "\(added)")
        // The dependencies layer (and everything else already stored) was not written again.
        #expect(blobInodes(server, "lay").filter { before.contains($0.key) } == inodes)
        // The build's scratch dir, removed while the release deployed, is gone when the push returns.
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: server.root.appendingPathComponent("tmp").path)) ?? []
        #expect(!scratch.contains { $0.hasPrefix("build-") && !$0.hasPrefix("build-logs") }, "\(scratch)")
        let releases = try server.riker(["releases", "lay", "--json"])
        #expect(releases.succeeded)
        #expect(assembled(server, "lay").last?.contains("v2: assembled from 2 layers, fetched 1 ") == true, "\(assembled(server, "lay"))")

        // Rollback to v1: a new release of the same layers, all cached by the agent.
        let back = try server.riker(["rollback", "lay", "v1"])
        #expect(back.succeeded, "\(back.output)")
        #expect(try httpGet(url)?.body == "one six-1.16.0")
        #expect(blobs(server, "lay") == before.union(added))
        #expect(assembled(server, "lay").last?.contains("v3: assembled from 2 layers, fetched 0 (0 bytes)") == true, "\(assembled(server, "lay"))")
    }

    @Test func releasesMadeAsSingleArchivesStillDeployAndRollBack() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT --bind 127.0.0.1\n", "version.txt": "archive\n"], in: server.dir, name: "old")
        #expect(try server.riker(["apps:create", "old"]).succeeded)
        #expect(try server.riker(["apps:set", "old", "build.slug_format=archive"]).succeeded)
        let first = try server.push(repo.url, app: "old")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("       Done: "))
        #expect(!first.output.contains("layer"), "\(first.output)")
        let url = try #require(deployedURL(first.output))
        // Stored as every release was before layers: an archive under slugs/, no layer list.
        let v1 = try String(contentsOf: server.root.appendingPathComponent("store/apps/old/production/releases/v1/release.json"), encoding: .utf8)
        #expect(v1.contains("\"artifact\" : \"apps/old/slugs/") && !v1.contains("\"layers\""), "\(v1)")

        #expect(try server.riker(["apps:set", "old", "build.slug_format="]).succeeded)
        try repo.write("version.txt", "layered\n")
        try repo.commitAll("layered")
        let second = try server.push(repo.url, app: "old")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("in 1 layer: app "), "\(second.output)")
        let v2 = try String(contentsOf: server.root.appendingPathComponent("store/apps/old/production/releases/v2/release.json"), encoding: .utf8)
        #expect(v2.contains("\"artifact\" : \"apps/old/blobs/sha256/") && v2.contains("\"layers\""), "\(v2)")
        #expect(try httpGet(url + "/version.txt")?.body == "layered\n")

        let back = try server.riker(["rollback", "old", "v1"])
        #expect(back.succeeded, "\(back.output)")
        #expect(try httpGet(url + "/version.txt")?.body == "archive\n")
        let forward = try server.riker(["rollback", "old", "v2"])
        #expect(forward.succeeded, "\(forward.output)")
        #expect(try httpGet(url + "/version.txt")?.body == "layered\n")
    }
}
