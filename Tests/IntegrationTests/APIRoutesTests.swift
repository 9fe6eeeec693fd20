import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// The JSON API of a running `riker serve`, over real HTTP: every read, every change, every refusal.
@Suite struct APIRoutesTests {
    /// A server with app `acts` pushed twice (v1 "one", v2 "two") and the tokens the tests use.
    struct Fixture {
        let server: RikerServer
        let api: APIClient
        let url: String
        let repo: AppRepo
        let admin: String, ci: String, readOnly: String, other: String

        init() throws {
            server = try RikerServer()
            api = APIClient(server: server)
            repo = try AppRepo(files: [
                "Procfile": "web: printf \"$GREETING\" > greeting.txt && exec python3 -m http.server $PORT\n",
                "version.txt": "one\n",
            ], in: server.dir, name: "acts")
            let first = try server.push(repo.url, app: "acts")
            guard first.succeeded, let url = deployedURL(first.output) else { throw RikerError(.process, "push: \(first.output)") }
            self.url = url
            try repo.write("version.txt", "two\n")
            try repo.commitAll("two")
            let second = try server.push(repo.url, app: "acts")
            guard second.succeeded else { throw RikerError(.process, "push: \(second.output)") }
            #expect(try server.riker(["apps:create", "other"]).succeeded)
            admin = try server.addToken("all")
            ci = try server.addToken("acts-ci", ["--app", "acts"])
            readOnly = try server.addToken("acts-ro", ["--app", "acts", "--read-only"])
            other = try server.addToken("other-ci", ["--app", "other"])
        }

        func body(_ path: String) throws -> String? {
            try httpGet(url + path)?.body.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func everyReadShowsTheStoreWithoutConfigValues() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        let set = try f.api.post("/api/apps/acts/production/config", token: f.ci, #"{"set": {"SECRET_WORD": "swordfish"}}"#)
        #expect(set.status == 202, "\(set)")
        #expect(try f.api.waitForAction(set, token: f.ci)["status"] as? String == "succeeded")
        let head = try AppRepo.git(f.repo.url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)

        let app = try f.api.get("/api/apps/acts", token: f.readOnly)
        #expect(app.status == 200, "\(app)")
        let prod = ((app.json["environments"] as? [[String: Any]]) ?? []).first { $0["env"] as? String == "production" }
        #expect(prod?["commit"] as? String == head, "\(app)")
        #expect((prod?["current"] as? Int ?? 0) >= 2, "\(app)")
        #expect(prod?["target"] as? String == "local")

        let releases = try f.api.get("/api/apps/acts/production/releases", token: f.readOnly)
        #expect(releases.status == 200, "\(releases)")
        let rows = releases.json["releases"] as? [[String: Any]] ?? []
        #expect(rows.count >= 2)
        #expect(rows.last?["version"] as? Int == 1 && rows.last?["description"] as? String != nil, "\(releases)")
        #expect(rows.filter { $0["current"] as? Bool == true }.count == 1)

        let deploys = try f.api.get("/api/apps/acts/production/deploys", token: f.readOnly)
        #expect(deploys.status == 200)
        let records = deploys.json["deploys"] as? [[String: Any]] ?? []
        #expect(records.count >= 2 && records.allSatisfy { $0["outcome"] != nil && $0["batches"] != nil }, "\(deploys)")

        let instances = try f.api.get("/api/apps/acts/production/instances", token: f.readOnly)
        #expect(instances.status == 200)
        let statuses = instances.json["instances"] as? [[String: Any]] ?? []
        #expect(!statuses.isEmpty && statuses.allSatisfy { $0["state"] as? String != nil }, "\(instances)")

        let builds = try f.api.get("/api/apps/acts/builds", token: f.readOnly)
        #expect(builds.status == 200 && builds.json["builds"] is [Any], "\(builds)")

        // Config: keys only, once the change above has gone through; the value is never shown.
        let config = try f.api.get("/api/apps/acts/production/config", token: f.readOnly)
        #expect(config.status == 200)
        #expect(config.json["keys"] as? [String] == ["SECRET_WORD"], "\(config)")
        for answer in [config, try f.api.get("/api/apps/acts/production/releases", token: f.readOnly)] {
            #expect(!answer.text.contains("swordfish"))
        }
        #expect(!f.server.log(of: "serve.log").contains("swordfish"))

        // Unknown app, unknown env name, bad limit.
        #expect(try f.api.get("/api/apps/nope", token: f.admin).status == 404)
        #expect(try f.api.get("/api/apps/nope/production/releases", token: f.admin).status == 404)
        #expect(try f.api.get("/api/apps/acts/Bad_Env/releases", token: f.admin).status == 404)
        #expect(try f.api.get("/api/apps/acts/production/releases?limit=0", token: f.admin).status == 400)
        #expect(try f.api.get("/api/apps/acts/builds", token: f.other).status == 403)
    }

    @Test func everyRefusalAnswersWithAJSONErrorAndChangesNothing() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        let before = try f.api.get("/api/apps/acts/production/releases", token: f.admin)
        let configBefore = try f.server.riker(["config", "acts", "--json"]).output

        let posts: [(String, String)] = [
            ("/api/apps/acts/production/deploy", #"{"ref": "main"}"#),
            ("/api/apps/acts/production/rollback", #"{"version": 1}"#),
            ("/api/apps/acts/promote", #"{"from": "production", "to": "staging"}"#),
            ("/api/apps/acts/production/config", #"{"set": {"A": "1"}}"#),
        ]
        for (path, body) in posts {
            let none = try f.api.post(path, token: nil, body)
            #expect(none.status == 401 && !none.error.isEmpty, "\(path): \(none)")
            #expect(try f.api.post(path, token: f.ci + "0", body).status == 401, "\(path)")
            let ro = try f.api.post(path, token: f.readOnly, body)
            #expect(ro.status == 403 && ro.error.contains("read-only"), "\(path): \(ro)")
            let elsewhere = try f.api.post(path, token: f.other, body)
            #expect(elsewhere.status == 403 && elsewhere.error.contains("no access to app acts"), "\(path): \(elsewhere)")
            let malformed = try f.api.post(path, token: f.ci, #"{"ref": "#)
            #expect(malformed.status == 400 && malformed.error.contains("malformed JSON"), "\(path): \(malformed)")
            let wrongType = try f.api.post(path, token: f.ci, "[1, 2]")
            #expect(wrongType.status == 400, "\(path): \(wrongType)")
            let unknownApp = try f.api.post(path.replacingOccurrences(of: "/acts/", with: "/nope/"), token: f.admin, body)
            #expect(unknownApp.status == 404 && unknownApp.error.contains("nope"), "\(path): \(unknownApp)")
        }
        // Unknown things the body names.
        let version = try f.api.post("/api/apps/acts/production/rollback", token: f.ci, #"{"version": 42}"#)
        #expect(version.status == 404 && version.error.contains("v42"), "\(version)")
        #expect(try f.api.post("/api/apps/acts/production/rollback", token: f.ci, #"{"version": "seven"}"#).status == 400)
        let ref = try f.api.post("/api/apps/acts/production/deploy", token: f.ci, #"{"ref": "no-such-branch"}"#)
        #expect(ref.status == 404 && ref.error.contains("no-such-branch"), "\(ref)")
        #expect(try f.api.post("/api/apps/acts/production/deploy", token: f.ci, #"{"ref": "--upload-pack=x"}"#).status == 400)
        #expect(try f.api.post("/api/apps/acts/production/deploy", token: f.ci, "{}").status == 400)
        let nothing = try f.api.post("/api/apps/acts/promote", token: f.ci, #"{"from": "staging", "to": "production"}"#)
        #expect(nothing.status == 404 && nothing.error.contains("nothing deployed in staging"), "\(nothing)")
        #expect(try f.api.post("/api/apps/acts/promote", token: f.ci, #"{"from": "production", "to": "production"}"#).status == 400)
        #expect(try f.api.post("/api/apps/acts/production/config", token: f.ci, #"{"set": {"1BAD": "x"}}"#).status == 400)
        #expect(try f.api.post("/api/apps/acts/production/config", token: f.ci, #"{}"#).status == 400)
        #expect(try f.api.post("/api/apps/acts/production/rollback", token: f.readOnly, "not json").status == 403)
        #expect(try f.api.get("/api/apps/acts/actions/20260101T000000-deadbeef", token: f.ci).status == 404)

        // Nothing changed: same releases, same config, no action recorded.
        let after = try f.api.get("/api/apps/acts/production/releases", token: f.admin)
        #expect(after.status == 200 && after.text == before.text, "\(after)")
        #expect(try f.server.riker(["config", "acts", "--json"]).output == configBefore)
        let staging = try f.api.get("/api/apps/acts/staging/releases", token: f.admin)
        #expect((staging.json["releases"] as? [Any])?.isEmpty == true, "\(staging)")
        let actions = f.server.root.appendingPathComponent("store/actions")
        #expect(!FileManager.default.fileExists(atPath: actions.path))
    }

    @Test func configRollbackPromoteAndDeployRunInTheBackgroundAndAreRecorded() throws {
        let f = try Fixture()
        defer { f.server.stop() }

        // config: 202 with an action and its Location; the action ends with the release it made.
        let set = try f.api.post("/api/apps/acts/production/config", token: f.ci, #"{"set": {"GREETING": "hello api"}}"#)
        #expect(set.status == 202, "\(set)")
        #expect(set.json["status"] as? String == "queued" && set.json["kind"] as? String == "config")
        #expect(set.headers.contains("/api/apps/acts/actions/\(set.json["id"] as? String ?? "?")"), "\(set.headers)")
        let configured = try f.api.waitForAction(set, token: f.ci)
        #expect(configured["status"] as? String == "succeeded", "\(configured)")
        #expect(configured["release"] as? String == "v3", "\(configured)")
        #expect(configured["requested_by"] as? String == "acts-ci")
        #expect(try f.body("/greeting.txt") == "hello api")
        #expect(!(configured.description.contains("hello api")))

        let unset = try f.api.post("/api/apps/acts/production/config", token: f.ci, #"{"unset": ["GREETING"]}"#)
        #expect(try f.api.waitForAction(unset, token: f.ci)["release"] as? String == "v4")

        // rollback to v1: a new release v5 of v1's slug.
        let back = try f.api.post("/api/apps/acts/production/rollback", token: f.ci, #"{"version": "v1"}"#)
        #expect(back.status == 202, "\(back)")
        let rolled = try f.api.waitForAction(back, token: f.ci)
        #expect(rolled["status"] as? String == "succeeded" && rolled["release"] as? String == "v5", "\(rolled)")
        #expect(try f.body("/version.txt") == "one")
        let releases = try f.api.get("/api/apps/acts/production/releases", token: f.ci).json["releases"] as? [[String: Any]] ?? []
        #expect(releases.first?["description"] as? String == "Rollback to v1", "\(releases.first ?? [:])")
        #expect(releases.first?["created_by"] as? String == "token:acts-ci")

        // deploy main again: built and released as v6, serving "two".
        let deploy = try f.api.post("/api/apps/acts/production/deploy", token: f.ci, #"{"ref": "main"}"#)
        #expect(deploy.status == 202, "\(deploy)")
        let deployed = try f.api.waitForAction(deploy, token: f.ci)
        #expect(deployed["status"] as? String == "succeeded" && deployed["release"] as? String == "v6", "\(deployed)")
        #expect(try f.body("/version.txt") == "two")

        // promote production → staging: staging v1, same slug.
        let promote = try f.api.post("/api/apps/acts/promote", token: f.ci, #"{"from": "production", "to": "staging"}"#)
        #expect(promote.status == 202, "\(promote)")
        let promoted = try f.api.waitForAction(promote, token: f.ci)
        #expect(promoted["status"] as? String == "succeeded" && promoted["release"] as? String == "v1", "\(promoted)")
        let staging = try f.api.get("/api/apps/acts", token: f.ci).json["environments"] as? [[String: Any]] ?? []
        #expect(staging.contains { $0["env"] as? String == "staging" && $0["current"] as? Int == 1 }, "\(staging)")

        // Each change left its deploy record.
        let deploys = try f.api.get("/api/apps/acts/production/deploys", token: f.ci).json["deploys"] as? [[String: Any]] ?? []
        #expect(deploys.first?["release"] as? Int == 6, "\(deploys.first ?? [:])")
        #expect(deploys.count >= 6)

        // A change that fails after its 202 says why in its action, and nothing moves.
        try AppRepo.git(f.repo.url, ["checkout", "-q", "-b", "broken"])
        try AppRepo.git(f.repo.url, ["rm", "-q", "Procfile", "version.txt"])
        try f.repo.write("README", "nothing here can be built\n")
        try f.repo.commitAll("nothing to build")
        let stored = try f.server.push(f.repo.url, app: "acts", refspec: "HEAD:refs/heads/broken")
        #expect(stored.succeeded, "\(stored.output)")
        let bad = try f.api.post("/api/apps/acts/production/deploy", token: f.ci, #"{"ref": "broken"}"#)
        #expect(bad.status == 202, "\(bad)")
        let failed = try f.api.waitForAction(bad, token: f.ci)
        #expect(failed["status"] as? String == "failed" && failed["release"] == nil, "\(failed)")
        #expect(!(failed["error"] as? String ?? "").isEmpty, "\(failed)")
        let after = try f.api.get("/api/apps/acts/production/releases", token: f.ci)
        #expect(after.json["current"] as? Int == 6, "\(after)")
        #expect(try f.body("/version.txt") == "two")
    }
}
