import Foundation
import RikerCore
import RikerServer
import RikerTestSupport
import Testing

/// Notifications of real pushes, received by a real HTTP server on loopback: Slack messages
/// and signed webhook events for deploys started, succeeded and rolled back and for failed
/// builds; receivers that fail or hang never fail the deploy.
@Suite(.serialized)
struct NotifyPushTests {
    static let publicURL = "https://riker.example.test"
    static let webhookSecret = "whsec-\(UUID().uuidString.prefix(12))"
    static let configSecret = "cfgsecret-\(UUID().uuidString.prefix(12))"

    /// A server with `public_url`, and app APP notifying `receiver` at `slack` and `webhook`.
    static func setUp(app: String, receiver: NotificationReceiver, slack: String, webhook: String) throws -> RikerServer {
        let server = try RikerServer(config: ["public_url": publicURL])
        #expect(try server.riker(["apps:create", app]).succeeded)
        let set = try server.riker(["apps:set", app, "notify.slack=\(receiver.url(slack))", "notify.webhook=\(receiver.url(webhook))",
                                    "notify.webhook_secret=\(webhookSecret)"])
        #expect(set.succeeded, "\(set.output)")
        #expect(try server.riker(["config:set", app, "API_TOKEN=\(configSecret)"]).succeeded)
        return server
    }

    @Test func aPushTellsSlackAndASignedWebhookOfTheDeployWithoutSecrets() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let server = try Self.setUp(app: "notif", receiver: receiver, slack: "/ok-slack", webhook: "/ok-hook")
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let commit = try AppRepo.git(repo.url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)

        let push = try server.push(repo.url, app: "notif")
        #expect(push.succeeded, "\(push.output)")
        #expect(!push.output.contains("not delivered"), "\(push.output)")

        // The push returns once its notifications are delivered: nothing to wait for.
        let hooks = receiver.deliveries.filter { $0.path == "/ok-hook" }
        #expect(hooks.map { $0.headers["x-riker-event"] } == ["deploy.started", "deploy.succeeded"])
        for hook in hooks {
            #expect(hook.headers["x-riker-signature-256"] == WebhookSignature.sign(body: hook.body, secret: Array(Self.webhookSecret.utf8)))
            #expect(hook.headers["content-type"] == "application/json")
            let event = try #require(hook.json)
            #expect(event["event"] as? String == hook.headers["x-riker-event"])
            #expect(event["app"] as? String == "notif" && event["env"] as? String == "production")
            #expect(event["release"] as? String == "v1" && event["commit"] as? String == commit)
            #expect(event["by"] as? String == "admin")
            let deploy = try #require(event["deploy"] as? String)
            #expect(event["link"] as? String == "\(Self.publicURL)/apps/notif/production#deploy-\(deploy)")
        }
        let slack = receiver.deliveries.filter { $0.path == "/ok-slack" }.compactMap { $0.json?["text"] as? String }
        #expect(slack.count == 2)
        #expect(slack.first?.hasPrefix(":rocket: Deploying *notif* (production) v1 at `\(commit.prefix(7))` by admin") == true, "\(slack)")
        #expect(slack.last?.hasPrefix(":white_check_mark: Deployed *notif* (production) v1 at `\(commit.prefix(7))` by admin") == true, "\(slack)")
        #expect(slack.allSatisfy { $0.contains("<\(Self.publicURL)/apps/notif/production#deploy-") })

        // Neither the webhook secret nor a config value is in anything sent.
        for d in receiver.deliveries {
            let all = d.text + d.headers.values.joined()
            #expect(!all.contains(Self.webhookSecret) && !all.contains(Self.configSecret))
        }
        let info = try server.riker(["apps:info", "notif"]).output
        #expect(!info.contains(Self.webhookSecret) && !info.contains("/ok-slack"), "\(info)")
    }

    @Test func aFailedBuildAndARolledBackDeployAreNotified() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let server = try Self.setUp(app: "notfail", receiver: receiver, slack: "/ok-slack", webhook: "/ok-hook")
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let first = try server.push(repo.url, app: "notfail")
        #expect(first.succeeded, "\(first.output)")

        // A build that fails: pip cannot find the package.
        try repo.write("requirements.txt", "this-package-does-not-exist-riker-test==0.0.1\n")
        let broken = try repo.commitAll("break the build")
        #expect(try !server.push(repo.url, app: "notfail").succeeded)

        // A release whose web process never answers its health check: rolled back to v1.
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("requirements.txt"))
        try repo.write("Procfile", "web: sleep 600\n")
        #expect(try server.riker(["apps:set", "notfail", "deploy.timeout_seconds=5"]).succeeded)
        let unhealthy = try repo.commitAll("never healthy")
        let failed = try server.push(repo.url, app: "notfail")
        #expect(!failed.succeeded, "\(failed.output)")

        let events = receiver.deliveries.filter { $0.path == "/ok-hook" }.compactMap { $0.json }
        #expect(events.compactMap { $0["event"] as? String } == [
            "deploy.started", "deploy.succeeded", "build.failed", "deploy.started", "deploy.rolled_back",
        ])
        let buildFailed = try #require(events.first { $0["event"] as? String == "build.failed" })
        #expect(buildFailed["commit"] as? String == broken && buildFailed["release"] == nil)
        #expect((buildFailed["error"] as? String)?.isEmpty == false)
        let rolledBack = try #require(events.last)
        #expect(rolledBack["commit"] as? String == unhealthy && rolledBack["release"] as? String == "v2")
        #expect(rolledBack["previous"] as? String == "v1")
        #expect((rolledBack["error"] as? String)?.isEmpty == false)

        let slack = receiver.deliveries.filter { $0.path == "/ok-slack" }.compactMap { $0.json?["text"] as? String }
        #expect(slack.contains { $0.hasPrefix(":x: Build of *notfail* (production) at `\(broken.prefix(7))` by admin failed: ") }, "\(slack)")
        #expect(slack.contains { $0.hasPrefix(":leftwards_arrow_with_hook: Deploy of *notfail* (production) v2") && $0.contains("v1 is still serving") },
                "\(slack)")
        for d in receiver.deliveries { #expect(!d.text.contains(Self.configSecret)) }
    }

    @Test func aWebhookDeployNotifiesAndIsCountedInMetrics() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let s = try WebhookDeployTests.Setup()
        defer { s.server.stop() }
        #expect(try s.server.riker(["apps:set", "web", "notify.webhook=\(receiver.url("/ok-hook"))", "notify.webhook_secret=\(Self.webhookSecret)"]).succeeded)
        let commit = try s.head()
        let answer = try s.deliver(commit: commit)
        let id = try #require(answer.json["build"] as? String, "\(answer.json)")
        let build = try s.finishedBuild(id)
        #expect(build["status"] as? String == "succeeded", "\(build)")

        // The build's record says it is over once the deploy (and its notifications) are.
        let events = receiver.deliveries.filter { $0.path == "/ok-hook" }
        #expect(events.map { $0.headers["x-riker-event"] } == ["deploy.started", "deploy.succeeded"])
        #expect(events.allSatisfy { $0.headers["x-riker-signature-256"] == WebhookSignature.sign(body: $0.body, secret: Array(Self.webhookSecret.utf8)) })
        #expect(events.last?.json?["commit"] as? String == commit)
        #expect((events.last?.json?["by"] as? String)?.isEmpty == false)

        // The scheduler tells the metrics just after it saves the record: wait for the count.
        let series = #"riker_builds_total{app="web",outcome="succeeded"}"#
        var samples: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(30)
        repeat {
            samples = MetricsTests.samples(try MetricsTests.scrape(s.server, token: s.reader))
            if samples[series] != nil { break }
            usleep(200_000)
        } while Date() < deadline
        #expect(samples[series] == 1)
        #expect(samples["riker_build_duration_seconds_count"] == 1)
        #expect(samples[#"riker_deploys_total{app="web",env="production",outcome="succeeded"}"#] == 1)
    }

    @Test func receiversThatFailOrHangDoNotFailTheDeploy() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let server = try Self.setUp(app: "notdown", receiver: receiver, slack: "/fail-slack", webhook: "/hang-hook")
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)

        let push = try server.push(repo.url, app: "notdown")
        #expect(push.succeeded, "\(push.output)")
        let url = try #require(deployedURL(push.output), "\(push.output)")
        #expect(try httpGet(url)?.status == 200)
        #expect(push.output.contains("Slack notification of deploy.started was not delivered (HTTP 500); the deploy is not affected"), "\(push.output)")
        #expect(push.output.contains("notify.webhook delivery of deploy.started was not delivered"), "\(push.output)")
        #expect(!push.output.contains(receiver.url("")), "the receiver's URL must not be shown: \(push.output)")

        // deploy.started is tried three times; once given up on, deploy.succeeded gets one try.
        let failing = receiver.deliveries.filter { $0.path == "/fail-slack" }.compactMap { $0.json?["text"] as? String }
        #expect(failing.count == 4, "\(failing)")
        #expect(failing.prefix(3).allSatisfy { $0.hasPrefix(":rocket:") } && failing.last?.hasPrefix(":white_check_mark:") == true)
        #expect(receiver.deliveries.contains { $0.path == "/hang-hook" })
    }
}
