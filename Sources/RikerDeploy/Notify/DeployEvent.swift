import Foundation
import RikerRelease

/// What notifications tell: one build or deploy event of an app env.
///
/// Sent as JSON to `notify.webhook` and rendered as a Slack message for `notify.slack`. It
/// carries no config values, settings or secrets; `error` is one line with the release's
/// config values masked (`DeployEvent.scrubbed`).
public struct DeployEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case buildFailed = "build.failed"
        case deployStarted = "deploy.started"
        case deploySucceeded = "deploy.succeeded"
        case deployFailed = "deploy.failed"
        case deployRolledBack = "deploy.rolled_back"
    }

    public var event: Kind
    public var app: String
    public var env: String
    /// `v12`; nil for a failed build (no release was made).
    public var release: String?
    public var commit: String
    public var ref: String?
    /// Who asked: the SSH key name or the webhook (`created_by` of the release).
    public var by: String
    public var description: String?
    /// The deploy id (`deploys/ID.json`), for deploy events.
    public var deploy: String?
    /// The release still serving after a failed or rolled back deploy (`v11`).
    public var previous: String?
    /// Why it failed: one line.
    public var error: String?
    /// The page of this deploy (or app), when the server's `public_url` is set.
    public var link: String?
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case event, app, env, release, commit, ref, by, description, deploy, previous, error, link, at
    }

    public init(event: Kind, app: String, env: String, release: String?, commit: String, ref: String?, by: String,
                description: String? = nil, deploy: String? = nil, previous: String? = nil, error: String? = nil,
                link: String? = nil, at: Date = Date()) {
        self.event = event; self.app = app; self.env = env; self.release = release; self.commit = commit; self.ref = ref
        self.by = by; self.description = description; self.deploy = deploy; self.previous = previous
        self.error = error; self.link = link; self.at = at
    }

    /// The first line of `message`, at most 300 characters, with every config value of at
    /// least 4 characters replaced by `[redacted]` (a failing app may print its environment).
    public static func scrubbed(_ message: String, config: [String: String]) -> String {
        var line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        for value in config.values.sorted(by: { $0.count > $1.count }) where value.count >= 4 {
            line = line.replacingOccurrences(of: value, with: "[redacted]")
        }
        return line.count > 300 ? String(line.prefix(299)) + "…" : line
    }
}
