import Foundation

/// A `DeployEvent` as Slack incoming-webhook JSON (`{"text": …}`, mrkdwn), which Mattermost
/// and Rocket.Chat accept too.
public enum SlackMessage {
    /// The message's one line of text.
    public static func text(_ e: DeployEvent) -> String {
        let what = "*\(escape(e.app))* (\(escape(e.env)))"
        let release = e.release.map { " \($0)" } ?? ""
        let commit = " at `\(e.commit.prefix(7))`"
        let by = " by \(escape(e.by))"
        let still = e.previous.map { "; \($0) is still serving" } ?? ""
        let reason = e.error.map { ": \(escape($0))" } ?? ""
        var text: String
        switch e.event {
        case .buildFailed: text = ":x: Build of \(what)\(commit)\(by) failed\(reason)"
        case .deployStarted: text = ":rocket: Deploying \(what)\(release)\(commit)\(by)"
        case .deploySucceeded: text = ":white_check_mark: Deployed \(what)\(release)\(commit)\(by)"
        case .deployFailed: text = ":x: Deploy of \(what)\(release)\(commit)\(by) failed\(reason)\(still)"
        case .deployRolledBack: text = ":leftwards_arrow_with_hook: Deploy of \(what)\(release)\(commit)\(by) failed and was rolled back\(reason)\(still)"
        }
        if let d = e.description, !d.isEmpty, e.event != .buildFailed { text += " — \(escape(d))" }
        if let link = e.link { text += " <\(link)|details>" }
        return text
    }

    /// The request body: `{"text": …}`.
    public static func body(_ e: DeployEvent) -> Data {
        (try? JSONSerialization.data(withJSONObject: ["text": text(e)], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Slack's three control characters in text.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
