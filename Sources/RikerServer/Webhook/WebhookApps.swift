import Foundation
import RikerRelease

/// What the webhook endpoint needs to know about an app before it reads a delivery.
public struct WebhookApp: Sendable {
    public var settings: AppSettings
    /// The shared secret deliveries are signed with; nil when none is set (webhooks refused).
    public var secret: [UInt8]?

    public init(settings: AppSettings, secret: [UInt8]?) { self.settings = settings; self.secret = secret }
    public var name: String { settings.name }
}

/// Looks up apps and their webhook secrets. The real one reads the release store; the lead
/// may move secrets to a secret store behind this same protocol.
public protocol WebhookAppSource: Sendable {
    /// The app, or nil when there is no such app.
    func webhookApp(_ name: String) async throws -> WebhookApp?
}

/// Apps from the store: settings from `apps/APP/app.json`, the secret where
/// `apps:set APP webhook.secret=S` put it.
public struct StoreWebhookApps: WebhookAppSource {
    public let store: any ReleaseStore

    public init(store: any ReleaseStore) { self.store = store }

    public func webhookApp(_ name: String) async throws -> WebhookApp? {
        guard let settings = try await store.app(name)?.settings else { return nil }
        return WebhookApp(settings: settings, secret: Self.secret(in: settings))
    }

    /// The one place the webhook secret is read from an app's settings.
    public static func secret(in settings: AppSettings) -> [UInt8]? {
        guard let s = settings.settings["webhook.secret"], !s.isEmpty else { return nil }
        return Array(s.utf8)
    }
}
