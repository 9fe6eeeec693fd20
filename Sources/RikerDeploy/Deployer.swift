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

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    func target(for settings: AppSettings, env: String, store: any ReleaseStore, counter: RequestCounter) throws -> (name: String, target: any DeployTarget) {
        let name = settings.value("target", env: env) ?? "local"
        switch name {
        case "local": return (name, LocalTarget(paths: paths, store: store))
        case "asg": return (name, RollingDeploy(store: store, fleet: CountingFleet(inner: try AWSFleet.fromEnvironment(), counter: counter), settings: settings))
        default: throw RikerError(.invalidInput, "unknown deploy target '\(name)': use target=local or target=asg")
        }
    }

    /// Deploys `release`; returns the address it serves on.
    @discardableResult
    public func deploy(_ release: Release) async throws -> String {
        let counter = RequestCounter()
        return try await Deployer(paths: paths, store: CountingStore(inner: store, counter: counter), output: output)
            .deployCounted(release, counter: counter)
    }

    private func deployCounted(_ release: Release, counter: RequestCounter) async throws -> String {
        let app = release.app, env = release.env
        guard let (settings, _) = try await store.app(app) else { throw RikerError(.notFound, "app \(app) does not exist") }
        let (targetName, target) = try target(for: settings, env: env, store: store, counter: counter)
        let id = Self.newDeployID()
        let holder = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        let lease = 900.0
        var lockTag: String
        do {
            lockTag = try await store.acquireLock(app, env, holder: holder, deploy: id, lease: lease, wait: 0)
        } catch let e as RikerError where e.code == .locked {
            output.step("Waiting for another deploy of \(app) (\(env)) to finish")
            lockTag = try await store.acquireLock(app, env, holder: holder, deploy: id, lease: lease, wait: 900)
        }
        do {
            let address = try await deployLocked(release, settings: settings, target: target, targetName: targetName, id: id, counter: counter)
            try? await store.releaseLock(app, env, etag: lockTag)
            return address
        } catch {
            try? await store.releaseLock(app, env, etag: lockTag)
            throw error
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

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self { case .some(let w): return try await f(w); case .none: return nil }
    }
}
