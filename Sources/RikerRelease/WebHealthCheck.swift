import Foundation
import RikerCore

/// How a release's `web` process is checked before it gets traffic: the app env's
/// `deploy.health_path` and `deploy.timeout_seconds`, unless the release's app.json has a Dokku
/// `healthchecks.web` startup check with a `path`, which then decides for that release.
///
/// Without `attempts` the path is polled (every ~100 ms, each request up to `attemptTimeout`)
/// until it answers or `deadline` passes; with `attempts` it is tried that many times,
/// `wait` seconds apart, as Dokku does.
public struct WebHealthCheck: Sendable, Equatable {
    /// The HTTP path requested, starting with `/`.
    public var path: String
    /// How many tries; nil: poll until `deadline`.
    public var attempts: Int?
    /// Seconds one request may take.
    public var attemptTimeout: Double
    /// Seconds between tries (polling: a tenth of a second).
    public var wait: Double
    /// Seconds after the start before the first try.
    public var initialDelay: Double
    /// Text the answer's body must contain.
    public var content: String?
    /// Seconds the whole check may take, from the process's start.
    public var deadline: Double
    /// Where the check comes from, for messages: `app.json healthchecks.web` or `deploy.health_path`.
    public var source: String

    /// Dokku's defaults for a check that names no timeout or wait.
    static let dokkuTimeout: Double = 5
    static let dokkuWait: Double = 5
    /// Between attempts of a check that sets no wait: a refused connect costs next to nothing,
    /// and every wait here is time the new release could already be serving.
    static let quickWait: Double = 0.05

    public init(release: Release, settings: DeploySettings) {
        let check = release.manifest?.healthchecks["web"]?.first { $0.type == .startup && $0.path != nil }
        guard let check, let path = check.path else {
            self.init(path: settings.healthPath, attempts: nil, attemptTimeout: 2, wait: Self.quickWait, initialDelay: 0, content: nil,
                      deadline: settings.timeout, source: "deploy.health_path")
            return
        }
        let delay = Double(check.initialDelay ?? 0)
        if let attempts = check.attempts {
            let timeout = Double(check.timeout ?? Int(Self.dokkuTimeout)), wait = Double(check.wait ?? Int(Self.dokkuWait))
            self.init(path: path, attempts: attempts, attemptTimeout: timeout, wait: wait, initialDelay: delay, content: check.content,
                      deadline: delay + Double(attempts) * (timeout + wait), source: "app.json healthchecks.web")
        } else {
            self.init(path: path, attempts: nil, attemptTimeout: Double(check.timeout ?? 2), wait: check.wait.map(Double.init) ?? Self.quickWait,
                      initialDelay: delay, content: check.content, deadline: delay + settings.timeout, source: "app.json healthchecks.web")
        }
    }

    public init(path: String, attempts: Int?, attemptTimeout: Double, wait: Double, initialDelay: Double, content: String?,
                deadline: Double, source: String) {
        self.path = path; self.attempts = attempts; self.attemptTimeout = attemptTimeout; self.wait = wait
        self.initialDelay = initialDelay; self.content = content; self.deadline = deadline; self.source = source
    }
}
