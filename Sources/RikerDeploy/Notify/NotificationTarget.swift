import Crypto
import Foundation
import RikerHTTP
import RikerRelease

/// Where an app env's notifications go: its `notify.slack` and `notify.webhook` settings.
public struct NotificationTarget: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Slack incoming-webhook JSON.
        case slack
        /// The event as JSON, signed with `secret` in `X-Riker-Signature-256` (unsigned without one).
        case webhook(secret: String?)
    }

    public var kind: Kind
    public var url: String

    public init(kind: Kind, url: String) { self.kind = kind; self.url = url }

    /// The targets `settings` name for `env` (an env's own value wins over the app's).
    public static func configured(in settings: AppSettings, env: String) -> [NotificationTarget] {
        var targets: [NotificationTarget] = []
        if let url = settings.value("notify.slack", env: env), !url.isEmpty { targets.append(.init(kind: .slack, url: url)) }
        if let url = settings.value("notify.webhook", env: env), !url.isEmpty {
            let secret = settings.value("notify.webhook_secret", env: env).flatMap { $0.isEmpty ? nil : $0 }
            targets.append(.init(kind: .webhook(secret: secret), url: url))
        }
        return targets
    }

    /// What messages call it; never its URL, which for Slack is itself a credential.
    public var name: String {
        switch kind {
        case .slack: return "Slack notification"
        case .webhook: return "notify.webhook delivery"
        }
    }

    /// The POST that delivers `event`.
    public func request(for event: DeployEvent, delivery: String, timeout: Double) -> HTTPRequest {
        var headers = ["Content-Type": "application/json", "User-Agent": "Riker"]
        let body: Data
        switch kind {
        case .slack:
            body = SlackMessage.body(event)
        case .webhook(let secret):
            body = Self.json(event)
            headers["X-Riker-Event"] = event.event.rawValue
            headers["X-Riker-Delivery"] = delivery
            if let secret { headers["X-Riker-Signature-256"] = Self.signature(of: body, secret: secret) }
        }
        return HTTPRequest(method: "POST", url: url, headers: headers, body: .data(body), timeout: timeout, connectTimeout: min(timeout, 5))
    }

    /// `sha256=` and the hex HMAC-SHA256 of `body` keyed with `secret`, as GitHub signs deliveries.
    public static func signature(of body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static func json(_ event: DeployEvent) -> Data { (try? encoder.encode(event)) ?? Data() }
}
