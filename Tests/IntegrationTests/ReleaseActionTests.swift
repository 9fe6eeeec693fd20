import Foundation
import RikerTestSupport
import Testing

/// Releases made from existing slugs: config changes, rollback, promotion.
@Suite struct ReleaseActionTests {
    @Test func configSetRollbackAndPromoteMakeNewReleasesOfExistingSlugs() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: [
            "Procfile": "web: printf \"$GREETING\" > greeting.txt && exec python3 -m http.server $PORT\n",
            "version.txt": "one\n",
        ], in: server.dir, name: "acts")
        let first = try server.push(repo.url, app: "acts")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        try repo.write("version.txt", "two\n")
        try repo.commitAll("two")
        #expect(try server.push(repo.url, app: "acts").succeeded)
        #expect(try httpGet(url + "/version.txt")?.body.trimmingCharacters(in: .whitespacesAndNewlines) == "two")

        // config:set → v3, same slug, the app sees the new value; the value is not echoed.
        let set = try server.ssh("config:set acts 'GREETING=hello riker'")
        #expect(set.succeeded, "\(set.output)")
        #expect(set.output.contains("Released v3"), "\(set.output)")
        #expect(!set.output.contains("hello riker"))
        #expect(try httpGet(url + "/greeting.txt")?.body == "hello riker")

        // rollback v1 → v4 serving the first commit with v1's config.
        let back = try server.riker(["rollback", "acts", "v1"])
        #expect(back.succeeded, "\(back.output)")
        #expect(back.output.contains("Released v4"), "\(back.output)")
        #expect(try httpGet(url + "/version.txt")?.body.trimmingCharacters(in: .whitespacesAndNewlines) == "one")
        let releases = try server.riker(["releases", "acts"])
        #expect(releases.output.contains("Rollback to v1"), "\(releases.output)")
        #expect(releases.output.contains("(current)"))

        // promote production → staging: v1 of staging, same slug (no build), its own port.
        let promoted = try server.riker(["promote", "acts", "--from", "production", "--to", "staging"])
        #expect(promoted.succeeded, "\(promoted.output)")
        #expect(!promoted.output.contains("Building"))
        let stagingURL = try #require(deployedURL(promoted.output))
        #expect(stagingURL != url)
        #expect(try httpGet(stagingURL + "/version.txt")?.body.trimmingCharacters(in: .whitespacesAndNewlines) == "one")
        let staging = try server.riker(["releases", "acts", "--env", "staging", "--json"])
        #expect(staging.output.contains("\"version\" : 1"), "\(staging.output)")
    }
}
