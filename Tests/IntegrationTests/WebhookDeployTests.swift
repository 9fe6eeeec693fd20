import Foundation
import RikerCore
import RikerHTTP
import RikerServer
import RikerTestSupport
import Testing

/// GitHub push webhooks end to end: a real `riker serve` answering HTTP, GitHub's recorded
/// deliveries rewritten to a local repository, signed as GitHub signs, the branch fetched by
/// libgit2, built, released and deployed by the same pipeline a push runs.
@Suite(.serialized)
struct WebhookDeployTests {
    static let secret = "hook-\(UUID().uuidString.prefix(12))"

    /// One server, one app `web` whose `webhook.repo` is a local repository.
    struct Setup {
        let server: RikerServer
        let repo: AppRepo
        /// A read-only API token, for the build records.
        let reader: String

        init(files: [String: String] = ["Procfile": "web: python3 -m http.server $PORT\n", "version.txt": "one\n"]) throws {
            server = try RikerServer()
            repo = try AppRepo(files: files, in: server.dir, name: "hooked")
            #expect(try server.riker(["apps:create", "web"]).succeeded)
            let set = try server.riker(["apps:set", "web", "webhook.secret=\(WebhookDeployTests.secret)",
                                        "webhook.repo=file://\(repo.url.path)", "branch.staging=staging"])
            #expect(set.succeeded, "\(set.output)")
            reader = try server.addToken("reader", ["--read-only"])
        }

        func head() throws -> String {
            try AppRepo.git(repo.url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// POSTs a push of `branch` at `commit`, signed with `secret`.
        func deliver(branch: String = "main", commit: String, delivery: String = UUID().uuidString.lowercased(),
                     secret: String = WebhookDeployTests.secret, event: String = "push") throws -> (status: Int, json: [String: Any]) {
            let body = try GitHubPayload.push(ref: "refs/heads/\(branch)", after: commit, cloneURL: "file://\(repo.url.path)")
            return try post("/hooks/github/web", body: body, headers: [
                "Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": WebhookSignature.sign(body: body, secret: Array(secret.utf8)),
                "User-Agent": "GitHub-Hookshot/044aadd",
            ])
        }

        func post(_ path: String, body: Data, headers: [String: String]) throws -> (status: Int, json: [String: Any]) {
            let r = try HTTPClient.perform(HTTPRequest(method: "POST", url: server.httpBase + path, headers: headers, body: .data(body), timeout: 30))
            return (r.status, (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] ?? [:])
        }

        func get(_ path: String) throws -> (status: Int, json: [String: Any]) {
            let r = try HTTPClient.perform(HTTPRequest(method: "GET", url: server.httpBase + path, headers: ["Authorization": "Bearer \(reader)"], timeout: 30))
            return (r.status, (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] ?? [:])
        }

        /// The build's record once it has finished (succeeded or failed).
        func finishedBuild(_ id: String, timeout: Double = 300) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let (status, json) = try? get("/builds/\(id)"), status == 200,
                   let state = json["status"] as? String, state == "succeeded" || state == "failed" {
                    return json
                }
                usleep(200_000)
            }
            throw RikerError(.timeout, "build \(id) did not finish: \(server.log(of: "serve.log").suffix(3000))")
        }

        /// What the build printed, as stored at `builds/web/ID.log`.
        func buildLog(_ id: String) -> String { server.log(of: "store/builds/web/\(id).log") }
    }

    @Test func aSignedPushDeploysItsBranchAndIsTaggedAndRecorded() throws {
        let s = try Setup()
        defer { s.server.stop() }
        let commit = try s.head()

        let answer = try s.deliver(commit: commit)
        #expect(answer.status == 202, "\(answer.json)")
        #expect(answer.json["env"] as? String == "production")
        let id = try #require(answer.json["build"] as? String)

        let build = try s.finishedBuild(id)
        #expect(build["status"] as? String == "succeeded", "\(build) \(s.buildLog(id))")
        #expect(build["release"] as? String == "v1")
        #expect(build["commit"] as? String == commit)

        // The app serves the commit, the release is tagged as a pushed one is, and the list shows it.
        let url = try #require(deployedURL(s.buildLog(id)), "no URL in the build log: \(s.buildLog(id))")
        #expect(try httpGet(url + "/version.txt")?.body == "one\n")
        // serve's HTTP listener is serve's alone: neither the agent nor the app inherited it.
        let holders = try sh("ss", ["-ltnpH", "sport", "=", ":\(s.server.httpPort)"]).output
        #expect(holders.contains("riker") && !holders.contains("riker-agent") && !holders.contains("python3"), "\(holders)")
        let tag = try AppRepo.git(s.server.root.appendingPathComponent("repos/web.git"), ["rev-parse", "riker/production/v1^{commit}"])
        #expect(tag.output.trimmingCharacters(in: .whitespacesAndNewlines) == commit)
        let releases = try s.server.riker(["releases", "web"])
        #expect(releases.output.contains("github:"), "\(releases.output)")
        let list = try s.get("/apps/web/builds")
        #expect((list.json["builds"] as? [[String: Any]])?.first?["id"] as? String == id)
        let builds = try s.server.riker(["builds", "web"])
        #expect(builds.output.contains(id) && builds.output.contains("succeeded") && builds.output.contains("v1"), "\(builds.output)")
        let printed = try s.server.riker(["builds:output", "web", id])
        #expect(printed.succeeded && printed.output.contains("Fetching main"), "\(printed.output)")

        // GitHub redelivers: the same delivery id is answered as a duplicate, nothing is built again.
        let delivery = try #require(build["delivery"] as? String)
        let again = try s.deliver(commit: commit, delivery: delivery)
        #expect(again.status == 200 && again.json["duplicate"] as? Bool == true, "\(again.json)")
        #expect(again.json["build"] as? String == id)

        // A branch that maps to no environment is acknowledged and ignored.
        let other = try s.deliver(branch: "feature-x", commit: commit)
        #expect(other.status == 202 && (other.json["ignored"] as? String)?.contains("no environment") == true, "\(other.json)")
    }

    @Test func aPushToStagingDeploysStagingOnItsOwnAddressAndLeavesProductionAlone() throws {
        let s = try Setup()
        defer { s.server.stop() }
        let prod = try s.deliver(commit: try s.head())
        let prodBuild = try s.finishedBuild(try #require(prod.json["build"] as? String))
        #expect(prodBuild["status"] as? String == "succeeded", "\(prodBuild)")
        let prodURL = try #require(deployedURL(s.buildLog(prod.json["build"] as! String)))

        try AppRepo.git(s.repo.url, ["checkout", "-q", "-b", "staging"])
        try s.repo.write("version.txt", "two\n")
        let commit = try s.repo.commitAll("staging change")
        let answer = try s.deliver(branch: "staging", commit: commit)
        #expect(answer.status == 202 && answer.json["env"] as? String == "staging", "\(answer.json)")
        let id = try #require(answer.json["build"] as? String)
        let build = try s.finishedBuild(id)
        #expect(build["status"] as? String == "succeeded" && build["env"] as? String == "staging", "\(build)")
        let stagingURL = try #require(deployedURL(s.buildLog(id)))
        #expect(stagingURL != prodURL)
        #expect(try httpGet(stagingURL + "/version.txt")?.body == "two\n")
        #expect(try httpGet(prodURL + "/version.txt")?.body == "one\n")
    }

    @Test func forgedAndMalformedDeliveriesAreRefusedAndBuildNothing() throws {
        let s = try Setup()
        defer { s.server.stop() }
        let commit = try s.head()

        let forged = try s.deliver(commit: commit, secret: "not-the-secret")
        #expect(forged.status == 401, "\(forged.json)")
        #expect((forged.json["error"] as? String)?.contains("X-Hub-Signature-256") == true, "\(forged.json)")
        let unsigned = try s.post("/hooks/github/web", body: Data("{}".utf8), headers: ["X-GitHub-Event": "push", "Content-Type": "application/json"])
        #expect(unsigned.status == 401)
        let unknown = try s.post("/hooks/github/nope", body: Data("{}".utf8), headers: ["X-GitHub-Event": "push"])
        #expect(unknown.status == 404)
        let bad = try s.post("/hooks/github/web", body: Data("{not json".utf8), headers: [
            "X-GitHub-Event": "push", "X-GitHub-Delivery": UUID().uuidString, "Content-Type": "application/json",
            "X-Hub-Signature-256": WebhookSignature.sign(body: Data("{not json".utf8), secret: Array(WebhookDeployTests.secret.utf8)),
        ])
        #expect(bad.status == 400, "\(bad.json)")
        // Nothing was queued or built, and the secret is in no log or answer.
        #expect((try s.get("/apps/web/builds").json["builds"] as? [Any])?.isEmpty == true)
        #expect(!s.server.log(of: "serve.log").contains(WebhookDeployTests.secret))
        let info = try s.server.riker(["apps:info", "web"])
        #expect(!info.output.contains(WebhookDeployTests.secret), "\(info.output)")

        // A deploy key: the public half is printed to add on GitHub, the private half never.
        let key = try s.server.riker(["webhook:key", "web"])
        #expect(key.succeeded && key.output.contains("ssh-ed25519 ") && !key.output.contains("PRIVATE KEY"), "\(key.output)")
        let after = try s.server.riker(["apps:info", "web"])
        #expect(after.output.contains("webhook.deploy_key") && !after.output.contains("PRIVATE KEY"), "\(after.output)")
    }

    @Test func aFailingBuildIsRecordedAndTheRunningReleaseKeepsServing() throws {
        let s = try Setup()
        defer { s.server.stop() }
        let first = try s.deliver(commit: try s.head())
        let good = try s.finishedBuild(try #require(first.json["build"] as? String))
        #expect(good["status"] as? String == "succeeded", "\(good)")
        let url = try #require(deployedURL(s.buildLog(first.json["build"] as! String)))

        // A commit no buildpack can build.
        try AppRepo.git(s.repo.url, ["rm", "-q", "Procfile", "version.txt"])
        try s.repo.write("notes.md", "nothing runnable here\n")
        let broken = try s.repo.commitAll("break it")
        let second = try s.deliver(commit: broken)
        let id = try #require(second.json["build"] as? String)
        let failed = try s.finishedBuild(id)
        #expect(failed["status"] as? String == "failed", "\(failed)")
        #expect((failed["error"] as? String)?.isEmpty == false)
        #expect(failed["commit"] as? String == broken)
        #expect(try httpGet(url + "/version.txt")?.body == "one\n")
    }

    @Test func aDeliveryAcceptedBeforeTheServerIsKilledIsBuiltAfterItRestarts() throws {
        let s = try Setup()
        defer { s.server.stop() }
        let commit = try s.head()
        let answer = try s.deliver(commit: commit)
        #expect(answer.status == 202)
        let id = try #require(answer.json["build"] as? String)
        // SIGKILL right after the 202: the delivery is in the spool, so the new server builds it.
        try s.server.crashAndRestartServe()
        let build = try s.finishedBuild(id)
        #expect(build["status"] as? String == "succeeded", "\(build) \(s.server.log(of: "serve.log").suffix(2000))")
        #expect(build["commit"] as? String == commit)
    }
}
