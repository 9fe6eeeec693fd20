import Foundation
import RikerCore

/// One app setting of `apps:set`: its key, default, check and help. `Setting.all` is the one
/// table of them: `apps:set` refuses keys and values it does not accept, `apps:info` shows
/// effective values from it, and the typed `DeploySettings`/`BuildSettings` read through it.
public struct Setting: Sendable {
    /// `deploy.timeout_seconds`, or a prefix ending in `.` (`branch.`) for a family of keys.
    public let key: String
    /// The value used when none is set, as `apps:info` shows it (nil: unset means off/none).
    public let defaultValue: String?
    public let help: String
    /// Never printed: `apps:info` shows it masked, output and logs never show it.
    public let secret: Bool
    /// A problem with a value (nil when fine), as one line.
    let check: @Sendable (String) -> String?

    init(_ key: String, default defaultValue: String? = nil, secret: Bool = false, _ help: String,
         check: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.key = key; self.defaultValue = defaultValue; self.help = help; self.secret = secret; self.check = check
    }

    public var isFamily: Bool { key.hasSuffix(".") }

    /// Whether this setting (or family) covers `key`.
    public func matches(_ key: String) -> Bool { isFamily ? key.hasPrefix(self.key) && key.count > self.key.count : key == self.key }

    public static let all: [Setting] = [
        Setting("target", default: "local", "where the app runs: local (this machine) or asg (an Auto Scaling Group)",
                check: { ["local", "asg"].contains($0) ? nil : "target must be local or asg" }),
        Setting("branch.", "branch.NAME=ENV deploys pushes of NAME to ENV (none: deploy nothing); main and master deploy production",
                check: { $0 == "none" || AppName.isValid($0) ? nil : "a branch maps to an environment name (a-z, 0-9, '-') or none" }),
        Setting("asg.name", "the Auto Scaling Group of target=asg"),
        Setting("asg.target_groups", "comma-separated ELBv2 target group ARNs instances are drained from and registered in"),
        Setting("deploy.batch", default: "1", "instances per batch: a count like 2 or a percent like 25%",
                check: { BatchSize(parsing: $0) == nil ? "deploy.batch must be a count like 2 or a percent like 25%" : nil }),
        Setting("deploy.min_healthy", default: "50", "percent of the group that must stay in service during a deploy",
                check: number("deploy.min_healthy", max: 100)),
        Setting("deploy.drain_seconds", "seconds to wait after deregistering (default: the target group's deregistration delay)",
                check: number("deploy.drain_seconds")),
        Setting("deploy.health_path", default: "/", "the path of web's HTTP health check",
                check: { $0.hasPrefix("/") && !$0.contains(" ") ? nil : "deploy.health_path must start with / and have no spaces" }),
        Setting("deploy.timeout_seconds", default: "60", "seconds a new release has to answer its health check",
                check: number("deploy.timeout_seconds")),
        Setting("deploy.release_timeout_seconds", default: "600",
                "seconds the release phase (the Procfile's release command) and app.json's postdeploy may take",
                check: number("deploy.release_timeout_seconds")),
        Setting("deploy.failure_lines", default: "40", "lines of a failing process's output a failed deploy shows",
                check: { Int($0).map { (1...1000).contains($0) } == true ? nil : "deploy.failure_lines must be a whole number from 1 to 1000" }),
        Setting("build.timeout_seconds", default: "900", "seconds a build may take", check: number("build.timeout_seconds")),
        Setting("build.max_slug_mb", default: "500", "MB (MiB) a slug's files may add up to unpacked; sparse files count in full",
                check: { Int($0).map { (1...1_048_576).contains($0) } == true ? nil : "build.max_slug_mb must be a whole number of MB from 1 to 1048576" }),
        Setting("build.slug_format", default: "layers", "layers (dependencies and app stored apart; agents fetch only what changed) or archive (one tar, for riker-agents older than layers)",
                check: { ["layers", "archive"].contains($0) ? nil : "build.slug_format must be layers or archive" }),
        Setting("build.args", "config vars a Dockerfile build gets as --build-arg (names, comma-separated)", check: BuildArgs.problem),
        Setting("build.network", default: "default", "whether Dockerfile RUN steps reach the network: default or none",
                check: BuildNetwork.problem),
        Setting("local.port", "the port target=local serves on (chosen from 5100 up on the first deploy)",
                check: { Int($0).map { (1...65535).contains($0) } == true ? nil : "local.port must be a TCP port" }),
        Setting("logs.drain", "where agents forward app logs as RFC 5424 syslog: syslog+tcp://HOST:PORT or syslog+tls://HOST:PORT",
                check: { value in
                    do { _ = try DrainURL(parsing: value); return nil } catch { return error.userMessage }
                }),
        Setting("webhook.repo", "the repository a GitHub push webhook fetches (https://, ssh:// or git@host:path)"),
        Setting("webhook.secret", secret: true, "the secret GitHub signs webhook deliveries with"),
        Setting("webhook.token", secret: true,
                "a GitHub token: fetches webhook.repo over https and sets commit statuses (repo:status / statuses:write)"),
        Setting("webhook.deploy_key", secret: true, "the private deploy key ssh fetches of webhook.repo use (made by webhook:key APP)",
                check: { $0.contains("PRIVATE KEY") ? nil : "webhook.deploy_key must be a private key (run webhook:key APP to make one)" }),
        Setting("webhook.known_hosts", default: "github.com's published keys",
                "the SSH host keys ssh fetches accept, known_hosts lines separated by ';' (there is no trust on first use)"),
        Setting("webhook.api", default: "https://api.github.com", "the GitHub API commit statuses are posted to (https://HOST/api/v3 for Enterprise)",
                check: { $0.hasPrefix("https://") || $0.hasPrefix("http://127.0.0.1") ? nil : "webhook.api must be an https:// URL" }),
        Setting("notify.slack", secret: true,
                "a Slack incoming-webhook URL told of failed builds and of deploys started, succeeded, failed and rolled back",
                check: httpURL("notify.slack")),
        Setting("notify.webhook", "a URL that gets each build and deploy event as JSON, signed in X-Riker-Signature-256",
                check: httpURL("notify.webhook")),
        Setting("notify.webhook_secret", secret: true, "the key of notify.webhook's HMAC-SHA256 signature"),
    ]

    /// The setting that covers `key`, if any.
    public static func named(_ key: String) -> Setting? { all.first { $0.matches(key) } }

    /// Checks `KEY=VALUE` for `apps:set`: nil when fine, else the one-line reason. An empty value
    /// (which removes the setting) is always fine for a known key.
    public static func problem(key: String, value: String) -> String? {
        guard let setting = named(key) else {
            return "unknown setting '\(key.prefix(40))': known settings are \(all.map { $0.isFamily ? $0.key + "NAME" : $0.key }.joined(separator: ", "))"
        }
        return value.isEmpty ? nil : setting.check(value)
    }

    private static func httpURL(_ key: String) -> @Sendable (String) -> String? {
        { value in
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
                return "\(key) must be an http:// or https:// URL"
            }
            return nil
        }
    }

    private static func number(_ key: String, max: Double? = nil) -> @Sendable (String) -> String? {
        { value in
            guard let v = Double(value), v >= 0, max.map({ v <= $0 }) ?? true else {
                return "\(key) must be a number" + (max.map { " from 0 to \(Int($0))" } ?? " of 0 or more")
            }
            return nil
        }
    }
}
