import Foundation
import RikerCore
import RikerRelease
import Testing
@testable import RikerDeploy

/// What a notification says and how it is signed (the deliveries themselves are tested end
/// to end with a real receiver in IntegrationTests/NotifyPushTests).
@Suite struct NotificationTests {
    static let event = DeployEvent(event: .deployRolledBack, app: "web", env: "production", release: "v4", commit: "0123456789abcdef",
                                   ref: "refs/heads/main", by: "alice", description: "Deploy 0123456: <b> & co", deploy: "20260101T000000-abcdef",
                                   previous: "v3", error: "web did not answer", link: "https://riker.test/apps/web/deploys/20260101T000000-abcdef")

    @Test func theSignatureIsGitHubsHMACSHA256OfTheRawBody() {
        // GitHub's documented example delivery signature.
        let signature = NotificationTarget.signature(of: Data("Hello, World!".utf8), secret: "It's a Secret to Everybody")
        #expect(signature == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    @Test func aWebhookDeliveryIsTheEventAsJSONSignedOverTheBytesSent() throws {
        let target = NotificationTarget(kind: .webhook(secret: "k"), url: "http://127.0.0.1:9/hook")
        let request = target.request(for: Self.event, delivery: "d1", timeout: 5)
        guard case .data(let body) = request.body else { Issue.record("no body"); return }
        #expect(request.method == "POST" && request.headers["X-Riker-Event"] == "deploy.rolled_back" && request.headers["X-Riker-Delivery"] == "d1")
        #expect(request.headers["X-Riker-Signature-256"] == NotificationTarget.signature(of: body, secret: "k"))
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(json["event"] as? String == "deploy.rolled_back" && json["previous"] as? String == "v3" && json["by"] as? String == "alice")
        let unsigned = NotificationTarget(kind: .webhook(secret: nil), url: "http://127.0.0.1:9/hook").request(for: Self.event, delivery: "d", timeout: 5)
        #expect(unsigned.headers["X-Riker-Signature-256"] == nil)
    }

    @Test func slackTextNamesAppEnvReleaseCommitWhoAndLinkAndEscapesMarkup() {
        let text = SlackMessage.text(Self.event)
        #expect(text.hasPrefix(":leftwards_arrow_with_hook: Deploy of *web* (production) v4 at `0123456` by alice failed and was rolled back: web did not answer; v3 is still serving"))
        #expect(text.contains("Deploy 0123456: &lt;b&gt; &amp; co"))
        #expect(text.hasSuffix("<https://riker.test/apps/web/deploys/20260101T000000-abcdef|details>"))
    }

    @Test func errorsKeepOneLineAndMaskConfigValues() {
        let line = DeployEvent.scrubbed("web crashed: TOKEN=hunter2secret in env\nsecond line", config: ["TOKEN": "hunter2secret", "X": "1"])
        #expect(line == "web crashed: TOKEN=[redacted] in env")
        #expect(DeployEvent.scrubbed(String(repeating: "a", count: 500), config: [:]).count == 300)
    }

    @Test func targetsComeFromTheEnvsSettingsOverTheApps() {
        let settings = AppSettings(name: "web", settings: ["notify.slack": "https://hooks.slack.test/a", "notify.webhook": "https://ci.test/h",
                                                           "notify.webhook_secret": "s"],
                                   envSettings: ["staging": ["notify.slack": "https://hooks.slack.test/staging"]])
        #expect(NotificationTarget.configured(in: settings, env: "production") == [
            .init(kind: .slack, url: "https://hooks.slack.test/a"), .init(kind: .webhook(secret: "s"), url: "https://ci.test/h"),
        ])
        #expect(NotificationTarget.configured(in: settings, env: "staging").first?.url == "https://hooks.slack.test/staging")
        #expect(NotificationTarget.configured(in: AppSettings(name: "quiet"), env: "production").isEmpty)
    }

    @Test func onlyServerErrorsTimeoutsAndRateLimitsAreRetried() {
        #expect([500, 502, 503, 408, 429].allSatisfy(NotificationPolicy.isRetryable))
        #expect(![400, 401, 403, 404, 410].contains(where: NotificationPolicy.isRetryable))
    }

    @Test func notifySettingsAreCheckedAndTheSecretOnesMasked() {
        #expect(Setting.problem(key: "notify.slack", value: "https://hooks.slack.com/services/T/B/x") == nil)
        #expect(Setting.problem(key: "notify.webhook", value: "ftp://example.test/") != nil)
        #expect(Setting.problem(key: "notify.webhook", value: "not a url") != nil)
        #expect(Setting.named("notify.webhook_secret")?.secret == true && Setting.named("notify.slack")?.secret == true)
    }

    @Test func theReasonOfAFailedDeliveryLeavesTheURLOut() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
        let error = RikerError(.http, "POST \(url): Couldn't connect to server")
        let reason = DeployNotifier.reason(error, url: url)
        #expect(!reason.contains("XXXXSECRET") && reason.contains("Couldn't connect"))
    }
}
