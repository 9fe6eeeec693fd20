import Foundation
import RikerCore
import RikerRelease

/// Deploys a stored release to its app env: takes the deploy lock, moves `current` first
/// (so new instances come up on it), rolls it out on the env's target, and on failure moves
/// `current` back. Each step is recorded in `deploys/ID.json`.
public struct Deployer {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public let output: Output

    /// Seconds a deploy lock lasts unless renewed (renewed every third of it while deploying).
    public var lockLease = 120.0
    /// Deploys there instead of the app env's configured target (tests).
    public var targetOverride: (any DeployTarget)?

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    func target(for settings: AppSettings, env: String, store: any ReleaseStore, counter: RequestCounter) throws -> (name: String, target: any DeployTarget) {
        let name = settings.value("target", env: env) ?? "local"
        switch name {
        case "local": return (name, LocalTarget(paths: paths, store: store, settings: settings))
        case "asg": return (name, RollingDeploy(store: store, fleet: CountingFleet(inner: try AWSFleet.fromEnvironment(), counter: counter), settings: settings))
        default: throw RikerError(.invalidInput, "unknown deploy target '\(name)': use target=local or target=asg")
        }
    }

    /// Deploys `release`; returns the address it serves on.
    @discardableResult
    public func deploy(_ release: Release) async throws -> String {
        let counter = RequestCounter()
        var counted = Deployer(paths: paths, store: CountingStore(inner: store, counter: counter), output: output)
        counted.lockLease = lockLease
        counted.targetOverride = targetOverride
        return try await counted.deployCounted(release, counter: counter)
    }

    private func deployCounted(_ release: Release, counter: RequestCounter) async throws -> String {
        let app = release.app, env = release.env
        guard let (settings, _) = try await store.app(app) else { throw RikerError(.notFound, "app \(app) does not exist") }
        let (targetName, target) = try targetOverride.map { ("override", $0) } ?? target(for: settings, env: env, store: store, counter: counter)
        let id = Self.newDeployID()
        let holder = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        let lease = lockLease
        var lockTag: String
        do {
            lockTag = try await store.acquireLock(app, env, holder: holder, deploy: id, lease: lease, wait: 0)
        } catch let e as RikerError where e.code == .locked {
            output.step("Waiting for another deploy of \(app) (\(env)) to finish")
            lockTag = try await store.acquireLock(app, env, holder: holder, deploy: id, lease: lease, wait: 900)
        }
        // The lease is short, so a server that dies frees the app env soon; while this deploy
        // runs, it is renewed every third of the lease.
        let held = HeldLock(etag: lockTag)
        let result: Result<String, Error> = await withTaskGroup(of: Result<String, Error>?.self) { group in
            group.addTask {
                do { return .success(try await deployLocked(release, settings: settings, target: target, targetName: targetName, id: id, counter: counter)) }
                catch { return .failure(error) }
            }
            group.addTask {
                await renewLock(app: app, env: env, holder: holder, deploy: id, lease: lease, held: held)
                return nil
            }
            var outcome: Result<String, Error>?
            while outcome == nil, let next = await group.next() { outcome = next }
            group.cancelAll()
            return outcome!
        }
        try? await store.releaseLock(app, env, etag: held.etag)
        return try result.get()
    }

    /// Renews the deploy lock until cancelled. Losing it (another server took over an expired
    /// lease) is reported to the pusher; the deploy itself goes on to a consistent end.
    private func renewLock(app: String, env: String, holder: String, deploy: String, lease: Double, held: HeldLock) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(lease / 3 * 1e9))
            if Task.isCancelled { return }
            do {
                held.etag = try await store.renewLock(app, env, holder: holder, deploy: deploy, lease: lease, etag: held.etag)
            } catch {
                output.error("lost the deploy lock of \(app) (\(env)): \(error.userMessage)")
                return
            }
        }
    }

    private func deployLocked(_ release: Release, settings: AppSettings, target: any DeployTarget, targetName: String, id: String, counter: RequestCounter) async throws -> String {
        let app = release.app, env = release.env
        let (prevVersion, etag) = try await store.current(app, env)
        let previous = try await prevVersion.asyncMap { try await store.release(app, env, $0) } ?? nil
        let record = DeployRecord(id: id, app: app, env: env, release: release.version, previous: prevVersion, target: targetName)
        let context = DeployContext(id: id, output: output, store: store, record: record)
        try await store.saveDeploy(record)

        output.step("Deploying \(release.name) to \(targetName)")
        let currentTag = try await store.setCurrent(app, env, to: release.version, expected: etag)
        do {
            let address = try await target.rollout(release, previous: previous, context: context)
            await context.update { $0.outcome = .succeeded; $0.finishedAt = Date(); $0.requests = counter.snapshot }
            output.step("Deployed: \(address)")
            return address
        } catch {
            // Put `current` back, unless someone else has moved it since.
            if let prevVersion {
                _ = try? await store.setCurrent(app, env, to: prevVersion, expected: currentTag)
            } else {
                try? await store.delete(StoreLayout.current(app, env))
            }
            await context.update { $0.outcome = .rolledBack; $0.finishedAt = Date(); $0.error = error.userMessage; $0.requests = counter.snapshot }
            let still = previous.map { "; \($0.name) is still serving" } ?? ""
            throw RikerError(.deployFailed, "deploy of \(release.name) failed: \(error.userMessage)\(still)")
        }
    }

    static func newDeployID() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss"
        return f.string(from: Date()) + "-" + UUID().uuidString.prefix(6).lowercased()
    }
}

/// The entity tag of the deploy lock this deploy holds; it changes with every renewal.
final class HeldLock: @unchecked Sendable {
    private let lock = NSLock()
    private var _etag: String
    init(etag: String) { _etag = etag }
    var etag: String {
        get { lock.withLock { _etag } }
        set { lock.withLock { _etag = newValue } }
    }
}
