import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// An API deploy whose `riker serve` is killed (kill -9) mid-way: the restarted server records
/// the action as failed with what to do, the deploy lock it held is recovered, and running the
/// deploy again works.
@Suite struct APIActionCrashTests {
    @Test func anActionLeftRunningByAKilledServerIsRecordedFailedAndCanBeRunAgain() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let api = APIClient(server: server)
        let token = try server.addToken("ci")
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let first = try server.push(repo.url, app: "slow")
        #expect(first.succeeded, "\(first.output)")
        // A commit whose web process never gets healthy, on a branch no environment deploys on push.
        try repo.write("Procfile", "web: sleep 3600\n")
        try repo.commitAll("never healthy")
        let pushed = try server.push(repo.url, app: "slow", refspec: "HEAD:refs/heads/stuck")
        #expect(pushed.succeeded, "\(pushed.output)")

        let accepted = try api.post("/api/apps/slow/production/deploy", token: token, #"{"ref": "stuck"}"#)
        #expect(accepted.status == 202, "\(accepted)")
        let id = try #require(accepted.json["id"] as? String)
        // Killed once the deploy holds the lock and waits for the new release's health.
        let lock = server.root.appendingPathComponent("store/apps/slow/production/lock")
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: lock.path) {
            let a = try api.get("/api/apps/slow/actions/\(id)", token: token)
            try #require(a.json["status"] as? String != "failed" && a.json["status"] as? String != "succeeded", "\(a)")
            try #require(Date() < deadline, "the deploy never took its lock: \(a)")
            usleep(200_000)
        }
        let running = try api.get("/api/apps/slow/actions/\(id)", token: token)
        #expect(running.json["status"] as? String == "running", "\(running)")
        #expect(running.json["heartbeat_at"] != nil && running.json["host"] != nil, "\(running)")
        try server.crashAndRestartServe()

        let failed = try api.get("/api/apps/slow/actions/\(id)", token: token)
        #expect(failed.json["status"] as? String == "failed", "\(failed)")
        let error = failed.json["error"] as? String ?? ""
        #expect(error.contains("riker serve") && error.contains("stopped while this deploy was running"), "\(error)")
        #expect(error.contains("GET /api/apps/slow/production/deploys") && error.contains("run it again"), "\(error)")
        #expect(failed.json["finished_at"] != nil)

        // What the message says: the deploy is recovered (rolled back) and a new one goes through.
        let recovered = Date().addingTimeInterval(120)
        var deploys: [[String: Any]] = []
        while Date() < recovered {
            deploys = try api.get("/api/apps/slow/production/deploys", token: token).json["deploys"] as? [[String: Any]] ?? []
            if let newest = deploys.first, newest["outcome"] as? String != "running" { break }
            usleep(200_000)
        }
        #expect(deploys.first?["outcome"] as? String == "failed" && (deploys.first?["error"] as? String)?.contains("interrupted") == true, "\(deploys.first ?? [:])")
        let again = try api.post("/api/apps/slow/production/deploy", token: token, #"{"ref": "main"}"#)
        #expect(again.status == 202, "\(again)")
        let done = try api.waitForAction(again, token: token)
        #expect(done["status"] as? String == "succeeded", "\(done) \(server.log(of: "serve.log").suffix(3000))")
    }
}
