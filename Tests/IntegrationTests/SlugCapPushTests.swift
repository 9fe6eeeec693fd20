import Foundation
import RikerTestSupport
import Testing

/// A build that leaves a huge sparse file behind is refused at pack time with one line (a stat,
/// not a 4 GiB read), the branch does not move, and `.slugignore` is the way out.
@Suite(.serialized) struct SlugCapPushTests {
    @Test func aPushWhoseBuildMakesAHugeSparseFileIsRejectedWithOneLine() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: [
            "requirements.txt": "",
            "bin/pre_compile": "#!/bin/sh\ntruncate -s 4G big.img\n",
            "Procfile": "web: python3 -m http.server $PORT\n",
        ], in: server.dir, name: "sparse")

        let refused = try server.push(repo.url, app: "sparse")
        #expect(!refused.succeeded)
        #expect(refused.output.contains("slug is 4.0G unpacked, over build.max_slug_mb=500 (biggest: big.img, 4.0G): "
            + "add big files to .slugignore, or raise it with apps:set sparse build.max_slug_mb=N"), "\(refused.output)")
        let head = try sh("git", ["--git-dir", server.root.appendingPathComponent("repos/sparse.git").path, "rev-parse", "--verify", "-q", "refs/heads/main"])
        #expect(!head.succeeded, "the branch was not created: \(head.output)")
        #expect(!(try server.riker(["releases", "sparse", "--json"]).output.contains("\"version\"")))

        try repo.write(".slugignore", "big.img\n")
        try repo.commitAll("leave the disk image out")
        let pushed = try server.push(repo.url, app: "sparse")
        #expect(pushed.succeeded, "\(pushed.output)")
        // The release records what its slug unpacks to: the agent's cap for it.
        let release = try String(contentsOf: server.root.appendingPathComponent("store/apps/sparse/production/releases/v1/release.json"),
                                 encoding: .utf8)
        #expect(release.contains("\"unpacked_size\" : "), "\(release)")
    }
}
