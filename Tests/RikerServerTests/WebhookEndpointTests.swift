import Foundation
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// `POST /hooks/github/APP` over real HTTP: what is accepted, what is refused, and that
/// nothing refused is ever queued or built.
@Suite(.timeLimit(.minutes(3))) struct WebhookEndpointTests {
    @Test func signatureMatchesGitHubsDocumentedTestVector() {
        let body = Array("Hello, World!".utf8), secret = Array("It's a Secret to Everybody".utf8)
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(WebhookSignature.sign(body: body, secret: secret) == expected)
        #expect(WebhookSignature.isValid(expected, body: body, secret: secret))
        #expect(WebhookSignature.isValid(expected.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), body: body, secret: secret))
        #expect(!WebhookSignature.isValid(expected, body: Array("Hello, World?".utf8), secret: secret))
        #expect(!WebhookSignature.isValid(String(expected.dropLast(2)), body: body, secret: secret))
        #expect(!WebhookSignature.isValid("sha1=" + expected.dropFirst(7), body: body, secret: secret))
        #expect(!WebhookSignature.isValid(nil, body: body, secret: secret))
    }

    @Test func pingIsAnswered200() async throws {
        try await withHarness { h in
            try await h.start()
            let a = try await h.deliver(try WebhookHarness.payload("ping-payload.json"), event: "ping")
            #expect(a.status == 200, "\(a.text)")
            #expect(a["ok"] as? Bool == true)
        }
    }

    @Test func pushToMainIsAcceptedWithABuildIdAndBuildsProduction() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("first")
            try await h.start()
            let a = try await h.deliver(try h.push(ref: "refs/heads/main", after: commit))
            #expect(a.status == 202, "\(a.text)")
            let build = try #require(a.string("build"))
            #expect(a.string("env") == "production")
            #expect(a.string("commit") == commit)

            await h.finished.waitFor(1)
            let jobs = await h.runner.jobs
            #expect(jobs.count == 1)
            #expect(jobs.first?.app == "web")
            #expect(jobs.first?.env == "production")
            #expect(jobs.first?.commit == commit)
            #expect(jobs.first?.buildID == build)

            let record = try await h.get("/builds/\(build)")
            #expect(record.status == 200)
            #expect(record.string("status") == "succeeded")
            #expect(record.string("commit") == commit)
            #expect(record.string("release") == "v1")
            let list = try await h.get("/apps/web/builds")
            #expect((list["builds"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [build])
            #expect(try await h.get("/apps/nope/builds").status == 404)
            #expect(try await h.get("/builds/20990101T000000-deadbeef").status == 404)

            // Build records want a token that may read the app; another app's build is not there.
            #expect(try await h.get("/builds/\(build)", token: "").status == 401)
            #expect(try await h.get("/apps/web/builds", token: "").status == 401)
            #expect(try await h.get("/builds/\(build)", token: "riker_" + String(repeating: "0", count: 64)).status == 401)
            let other = try await TokenRing(store: h.store).add(name: "quiet-ci", apps: ["quiet"], readOnly: true).secret
            #expect(try await h.get("/apps/web/builds", token: other).status == 403)
            #expect(try await h.get("/apps/quiet/builds", token: other).status == 200)
            let hidden = try await h.get("/builds/\(build)", token: other)
            let missing = try await h.get("/builds/20990101T000000-deadbeef", token: other)
            #expect(hidden.status == 404 && hidden.text == missing.text, "\(hidden.text) vs \(missing.text)")
            #expect(!hidden.text.contains("web") && !hidden.text.contains(commit))
        }
    }

    @Test func pushToAMappedBranchBuildsItsEnvironment() async throws {
        try await withHarness { h in
            try await h.source.commit("first")
            let commit = try await h.source.commit("on staging", branch: "staging")
            try await h.start()
            let a = try await h.deliver(try h.push(ref: "refs/heads/staging", after: commit))
            #expect(a.status == 202, "\(a.text)")
            #expect(a.string("env") == "staging")
            await h.finished.waitFor(1)
            let job = try #require(await h.runner.jobs.first)
            #expect(job.env == "staging")
            #expect(job.branch == "staging")
            #expect(job.commit == commit)
        }
    }

    @Test func formEncodedDeliveriesAreAccepted() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("first")
            try await h.start()
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let json = String(decoding: try h.push(ref: "refs/heads/main", after: commit), as: UTF8.self)
            let form = Data(("payload=" + json.addingPercentEncoding(withAllowedCharacters: allowed)!).utf8)
            let a = try await h.deliver(form, contentType: "application/x-www-form-urlencoded")
            #expect(a.status == 202, "\(a.text)")
            await h.finished.waitFor(1)
            #expect(await h.runner.jobs.first?.commit == commit)

            let ping = String(decoding: try WebhookHarness.payload("ping-payload.json"), as: UTF8.self)
            let p = try await h.deliver(Data(("payload=" + ping.addingPercentEncoding(withAllowedCharacters: allowed)!).utf8),
                                        event: "ping", contentType: "application/x-www-form-urlencoded")
            #expect(p.status == 200, "\(p.text)")
        }
    }

    @Test func tagsFeatureBranchesDeletionsAndOtherEventsAreAnsweredAndNotBuilt() async throws {
        try await withHarness { h in
            let main = try await h.source.commit("first")
            let feature = try await h.source.commit("feature work", branch: "feature/login")
            try await h.start()

            let featurePush = try await h.deliver(try h.push(ref: "refs/heads/feature/login", after: feature))
            #expect(featurePush.status == 202)
            #expect(featurePush.string("ignored")?.contains("maps to no environment") == true, "\(featurePush.text)")
            #expect(featurePush["build"] == nil)

            let tag = try await h.deliver(try h.push(ref: "refs/tags/v1.0", after: main))
            #expect(tag.status == 202)
            #expect(tag.string("ignored")?.contains("tag") == true, "\(tag.text)")

            // GitHub's own tag deletion, byte for byte.
            let tagDeletion = try await h.deliver(try WebhookHarness.payload("push-payload.json"))
            #expect(tagDeletion.status == 202)
            #expect(tagDeletion.string("ignored") != nil)

            let deletion = try await h.deliver(try h.push(ref: "refs/heads/main", after: String(repeating: "0", count: 40), before: main, file: "push-payload.json"))
            #expect(deletion.status == 202)
            #expect(deletion.string("ignored")?.contains("deleted") == true, "\(deletion.text)")

            let issue = try await h.deliver(Data(#"{"action":"opened","issue":{"number":1}}"#.utf8), event: "issues")
            #expect(issue.status == 202)
            #expect(issue.string("ignored")?.contains("issues") == true)

            try await expectOnlySentinelBuilt(h)
        }
    }

    @Test func refusedDeliveriesAreAnsweredAndNothingIsQueuedOrBuilt() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("first")
            try await h.start()
            let body = try h.push(ref: "refs/heads/main", after: commit)

            let badSignature = try await h.deliver(body, secret: "not-the-secret")
            #expect(badSignature.status == 401, "\(badSignature.text)")
            #expect(badSignature.string("error") != nil)

            let noSignature = try await h.deliver(body, signature: "")
            #expect(noSignature.status == 401, "\(noSignature.text)")

            let garbage = try await h.deliver(body, signature: "sha256=zz")
            #expect(garbage.status == 401)

            // The same JSON re-encoded (other spacing and key order) no longer matches the
            // signature GitHub made of the bytes it sent.
            let reencoded = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: body), options: [.sortedKeys])
            let resent = try await h.deliver(reencoded, signature: WebhookSignature.sign(body: body, secret: Array(WebhookHarness.secret.utf8)))
            #expect(resent.status == 401, "\(resent.text)")

            let malformed = try await h.deliver(Data(#"{"ref": "refs/heads/main", "after": "#.utf8))
            #expect(malformed.status == 400, "\(malformed.text)")
            let notAPush = try await h.deliver(Data(#"{"zen": "Design for failure."}"#.utf8))
            #expect(notAPush.status == 400, "\(notAPush.text)")
            let wrongType = try await h.deliver(body, contentType: "text/plain")
            #expect(wrongType.status == 415, "\(wrongType.text)")
            let noDelivery = try await h.request("POST", "/hooks/github/web", headers: [
                "Content-Type": "application/json", "X-GitHub-Event": "push",
                "X-Hub-Signature-256": WebhookSignature.sign(body: body, secret: Array(WebhookHarness.secret.utf8)),
            ], body: body)
            #expect(noDelivery.status == 400, "\(noDelivery.text)")

            let unknown = try await h.deliver(body, app: "nope")
            #expect(unknown.status == 404, "\(unknown.text)")
            #expect(unknown.string("error")?.contains("nope") == true)
            let invalid = try await h.deliver(body, app: "Not_An_App")
            #expect(invalid.status == 404)
            let noSecret = try await h.deliver(body, app: "quiet")
            #expect(noSecret.status == 403, "\(noSecret.text)")
            #expect(noSecret.string("error")?.contains("webhook.secret") == true)
            let wrongRoute = try await h.get("/hooks/github/web")
            #expect(wrongRoute.string("error") != nil, "every answer is JSON: \(wrongRoute.text)")

            try await expectOnlySentinelBuilt(h)
            #expect(try await h.store.releases("web", "production").count == 1)
        }
    }

    @Test func aRedeliveryIsBuiltOnceAlsoAfterARestart() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("first")
            try await h.start()
            let body = try h.push(ref: "refs/heads/main", after: commit)
            let id = UUID().uuidString.lowercased()

            let first = try await h.deliver(body, delivery: id)
            #expect(first.status == 202)
            let build = try #require(first.string("build"))
            await h.finished.waitFor(1)

            let again = try await h.deliver(body, delivery: id)
            #expect(again.status == 200, "\(again.text)")
            #expect(again["duplicate"] as? Bool == true)
            #expect(again.string("build") == build)

            try await h.stop()
            try await h.start()
            let afterRestart = try await h.deliver(body, delivery: id)
            #expect(afterRestart.status == 200, "\(afterRestart.text)")
            #expect(afterRestart["duplicate"] as? Bool == true)
            #expect(afterRestart.string("build") == build)

            // A new delivery is built; had the replay been queued, it would have run before it.
            let next = try await h.source.commit("second")
            let second = try await h.deliver(try h.push(ref: "refs/heads/main", after: next, before: commit))
            #expect(second.status == 202)
            await h.finished.waitFor(2)
            #expect(await h.runner.jobs.map(\.commit) == [commit, next])
            #expect(await h.finished.records.map(\.id) == [build, second.string("build")!])
        }
    }

    @Test func concurrentCopiesOfOneDeliveryAreAcceptedOnce() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("first")
            try await h.start()
            let body = try h.push(ref: "refs/heads/main", after: commit)
            let id = UUID().uuidString.lowercased()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await h.deliver(body, delivery: id).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 202 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
            await h.finished.waitFor(1)
            try await expectOnlySentinelBuilt(h, before: [commit])
        }
    }

    /// Delivers one valid push and waits for its build: every build that ran must be one of
    /// `before` or this one, so anything wrongly queued earlier would show up.
    func expectOnlySentinelBuilt(_ h: WebhookHarness, before: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let sentinel = try await h.source.commit("sentinel \(UUID().uuidString.prefix(6))")
        let a = try await h.deliver(try h.push(ref: "refs/heads/main", after: sentinel))
        #expect(a.status == 202, "\(a.text)", sourceLocation: sourceLocation)
        await h.finished.waitFor(before.count + 1)
        #expect(await h.runner.jobs.map(\.commit) == before + [sentinel], sourceLocation: sourceLocation)
        #expect(await h.finished.records.count == before.count + 1, sourceLocation: sourceLocation)
    }
}
