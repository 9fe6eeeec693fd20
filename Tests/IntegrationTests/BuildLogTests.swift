import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// Every push leaves a build record and its log in the store, readable with `builds` and
/// `builds:output` locally and over SSH, with the app's config values masked.
@Suite(.serialized)
struct BuildLogTests {
    @Test func pushesAreRecordedWithTheirLogsAndConfigValuesAreMaskedInThem() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let token = "tok-\(UUID().uuidString.prefix(12))"
        #expect(try server.riker(["apps:create", "logged"]).succeeded)
        #expect(try server.riker(["config:set", "logged", "API_TOKEN=\(token)"]).succeeded)

        // web prints the app's secret and dies: the failure report shows its last line.
        let repo = try AppRepo(files: ["Procfile": "web: echo token=$API_TOKEN; exit 1\n"], in: server.dir, name: "logged")
        let failed = try server.push(repo.url, app: "logged")
        #expect(!failed.succeeded)
        let list1 = try server.riker(["--json", "builds", "logged"])
        let builds1 = try #require(try JSONSerialization.jsonObject(with: Data(list1.output.utf8)) as? [[String: Any]], "\(list1.output)")
        #expect(builds1.count == 1)
        let bad = try #require(builds1.first)
        #expect(bad["status"] as? String == "failed" && bad["source"] as? String == "push" && bad["created_by"] as? String == "admin", "\(bad)")
        let badID = try #require(bad["id"] as? String)
        #expect(failed.output.contains(badID), "the pusher is told the build id")
        let stored = server.log(of: "store/builds/logged/\(badID).log")
        #expect(stored.contains("token=[masked]"), "\(stored)")
        #expect(!stored.contains(token))

        try repo.write("Procfile", "web: python3 -m http.server $PORT\n")
        let commit = try repo.commitAll("serve")
        let good = try server.push(repo.url, app: "logged")
        #expect(good.succeeded, "\(good.output)")
        let builds2 = try #require(try JSONSerialization.jsonObject(with: Data(try server.riker(["--json", "builds", "logged"]).output.utf8)) as? [[String: Any]])
        #expect(builds2.count == 2)
        let ok = try #require(builds2.first)
        #expect(ok["status"] as? String == "succeeded" && ok["commit"] as? String == commit && ok["release"] as? String != nil, "\(ok)")
        #expect(ok["builder"] as? String != nil && ok["finished_at"] != nil, "\(ok)")

        // Over SSH with the admin key, the same verbs: the table and the whole log.
        let table = try server.ssh("builds logged")
        #expect(table.succeeded && table.output.contains(badID) && table.output.contains("succeeded"), "\(table.output)")
        let printed = try server.ssh("builds:output logged \(try #require(ok["id"] as? String))")
        #expect(printed.succeeded && printed.output.contains("Released"), "\(printed.output)")
        let refused = try server.ssh("builds:output logged 20261125T000000-deadbeef")
        #expect(!refused.succeeded && refused.output.contains("no build"), "\(refused.output)")
    }
}
