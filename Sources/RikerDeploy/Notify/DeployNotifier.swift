import Foundation
import RikerCore
import RikerHTTP
import RikerRelease

/// Sends an app env's build and deploy events to its notification targets, without ever
/// failing or holding up the deploy beyond its own end.
///
/// `send` returns at once: each target delivers its events in order on a task of its own,
/// with `NotificationPolicy`'s retries. `finish()` waits for what is still on its way, so a
/// short-lived process (the pre-receive hook) does not exit with notifications unsent; a
/// target that gave up on one event gets one attempt at each later one, which bounds that
/// wait. Failures are told to the pusher as one line that names neither URL nor secret.
public final class DeployNotifier: @unchecked Sendable {
    public let targets: [NotificationTarget]
    /// `public_url` of riker.conf, for links to the page.
    public let publicURL: String?
    let output: Output
    let policy: NotificationPolicy
    private let lock = NSLock()
    private var chains: [Int: Task<Void, Never>] = [:]
    private var unreachable: Set<Int> = []

    public init(targets: [NotificationTarget], publicURL: String?, output: Output, policy: NotificationPolicy = .init()) {
        self.targets = targets; self.publicURL = publicURL; self.output = output; self.policy = policy
    }

    /// The notifier of `app`'s `env` from its settings and this server's `public_url`.
    public convenience init(settings: AppSettings, env: String, paths: RikerPaths, output: Output) {
        self.init(targets: NotificationTarget.configured(in: settings, env: env), publicURL: Self.publicURL(paths), output: output)
    }

    /// Reads `app`'s settings from the store; an app that cannot be read notifies nobody.
    public static func load(app: String, env: String, paths: RikerPaths, store: any ReleaseStore, output: Output) async -> DeployNotifier {
        guard let settings = try? await store.app(app)?.settings else {
            return DeployNotifier(targets: [], publicURL: nil, output: output)
        }
        return DeployNotifier(settings: settings, env: env, paths: paths, output: output)
    }

    /// `public_url` of riker.conf without a trailing `/`, if set.
    static func publicURL(_ paths: RikerPaths) -> String? {
        guard let url = ServerConfig.load(paths)["public_url"], !url.isEmpty else { return nil }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The live page of the app's env, which shows its newest deploys batch by batch (the
    /// deploy's id as the fragment, so the link names it).
    public func link(app: String, env: String, deploy: String?) -> String? {
        guard let publicURL else { return nil }
        return "\(publicURL)/apps/\(app)/\(env)" + (deploy.map { "#deploy-\($0)" } ?? "")
    }

    /// Queues `event` for every target (in order per target) and returns.
    public func send(_ event: DeployEvent) {
        guard !targets.isEmpty else { return }
        var event = event
        if event.link == nil { event.link = link(app: event.app, env: event.env, deploy: event.deploy) }
        let delivery = UUID().uuidString.lowercased()
        lock.withLock {
            for index in targets.indices {
                let previous = chains[index]
                chains[index] = Task { [event] in
                    await previous?.value
                    await self.deliver(event, to: index, delivery: delivery)
                }
            }
        }
    }

    /// Waits until every event sent so far is delivered or given up on.
    public func finish() async {
        for task in lock.withLock({ Array(chains.values) }) { await task.value }
    }

    private func deliver(_ event: DeployEvent, to index: Int, delivery: String) async {
        let target = targets[index]
        let attempts = lock.withLock { unreachable.contains(index) } ? 1 : max(1, policy.attempts)
        let request = target.request(for: event, delivery: delivery, timeout: policy.timeout)
        var problem = ""
        for attempt in 1...attempts {
            do {
                let response = try await Blocking.run { try HTTPClient.perform(request) }
                if response.isSuccess { return }
                problem = "HTTP \(response.status)"
                if !NotificationPolicy.isRetryable(response.status) { break }
            } catch {
                problem = Self.reason(error, url: target.url)
            }
            if attempt < attempts {
                try? await Task.sleep(nanoseconds: UInt64(policy.backoff * pow(2, Double(attempt - 1)) * 1e9))
            }
        }
        lock.withLock { _ = unreachable.insert(index) }
        output.error("\(target.name) of \(event.event.rawValue) was not delivered (\(problem)); the deploy is not affected")
    }

    /// libcurl's reason without the URL the error message starts with.
    static func reason(_ error: Error, url: String) -> String {
        var message = error.userMessage
        let shown = url.firstIndex(of: "?").map { String(url[..<$0]) } ?? url
        if let range = message.range(of: shown) { message = String(message[range.upperBound...]) }
        message = message.trimmingCharacters(in: CharacterSet(charactersIn: ": "))
        return message.isEmpty ? "connection failed" : String(message.prefix(120))
    }
}
