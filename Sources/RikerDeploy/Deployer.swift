import Foundation
import RikerCore
import RikerRelease

/// Deploys a stored release to its app env: takes the deploy lock, moves `current` first
/// (so new instances come up on it), rolls it out on the env's target, and on failure moves
/// `current` back. Each step is recorded in `deploys/ID.json`.
public struct Deployer {
    public let paths: RikerPaths
    public private(set) var store: any ReleaseStore
    public let output: Output

    /// Seconds a deploy lock lasts unless renewed (renewed every third of it while deploying).
    public var lockLease = 120.0
    /// Deploys there instead of the app env's configured target (tests).
    public var targetOverride: (any DeployTarget)?
    /// The clock the lock, the rollout and their waits run on (tests drive a manual one).
    public var clock: any Clock<Duration> = ContinuousClock()
    /// Whether the release's `release` command runs before the rollout (`ReleasePhase`); off
    /// for a release that only changes the formation (`ps:scale`).
    public var runsReleasePhase = true
    /// Tells the app env's `notify.*` targets of this deploy (set by `deploy`, from the app's settings).
    var notifier: DeployNotifier?

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    /// The rollout of the app env's target: its fleet (this machine, or an Auto Scaling Group)
    /// rolled by the one `RollingDeploy`.
    func target(app: String, env: String, settings: DeploySettings, store: any ReleaseStore, counter: RequestCounter) async throws -> (name: String, target: any DeployTarget) {
        let fleet: any Fleet
        switch settings.target {
        case .local: fleet = try await LocalFleet.prepare(paths: paths, store: store, app: app, env: env, settings: settings)
        case .asg: fleet = CountingFleet(inner: try AWSFleet.fromEnvironment(app: app, settings: settings), counter: counter)
        }
        var rollout = RollingDeploy(store: store, fleet: fleet, settings: settings, clock: clock)
        // The local agent's status is a file here: reading it costs a stat, and the push waits on it.
        if settings.target == .local { rollout.pollInterval = LocalFleet.statusPollInterval }
        return (settings.target.rawValue, rollout)
    }

    /// Deploys `release` with the app env's deploy settings (read once by the caller); returns
    /// the address it serves on.
    @discardableResult
    public func deploy(_ release: Release, settings: DeploySettings) async throws -> String {
        let counter = RequestCounter()
        var counted = self
        counted.store = CountingStore(inner: store, counter: counter)
        counted.notifier = await PhaseTrace.measure("deploy.notifier") {
            await DeployNotifier.load(app: release.app, env: release.env, paths: paths, store: store, output: output)
        }
        do {
            let address = try await counted.deployCounted(release, settings: settings, counter: counter)
            await counted.notifier?.finish()
            return address
        } catch {
            await counted.notifier?.finish()
            throw error
        }
    }

    private func deployCounted(_ release: Release, settings: DeploySettings, counter: RequestCounter) async throws -> String {
        let app = release.app, env = release.env
        let (targetName, target): (String, any DeployTarget)
        if let targetOverride { (targetName, target) = ("override", targetOverride) } else {
            (targetName, target) = try await PhaseTrace.measure("deploy.target") {
                try await self.target(app: app, env: env, settings: settings, store: store, counter: counter)
            }
        }
        let lockStart = ContinuousClock.now
        let id = Self.newDeployID()
        let holder = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        let lease = lockLease
        let lock: HeldDeployLock
        do {
            lock = try await store.acquireLock(app, env, holder: holder, deploy: id, lease: lease, wait: 0, clock: clock)
        } catch let e as RikerError where e.code == .locked {
            output.step("Waiting for another deploy of \(app) (\(env)) to finish")
            lock = try await store.acquireLock(app, env, holder: holder, deploy: id, lease: lease, wait: 900, clock: clock)
        }
        let lockTag = lock.etag
        PhaseTrace.end("deploy.lock", since: lockStart)
        if let interrupted = lock.interrupted {
            do { try await DeployRecovery(store: store, output: output).recover(app, env, interrupted: interrupted) } catch {
                try? await store.releaseLock(app, env, etag: lockTag)
                throw RikerError(.deployFailed, "cannot recover the interrupted deploy \(interrupted.deploy) of \(app) (\(env)): \(error.userMessage)")
            }
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
        try? await PhaseTrace.measure("deploy.unlock") { try await store.releaseLock(app, env, etag: held.etag) }
        return try result.get()
    }

    /// Renews the deploy lock until cancelled. Losing it (another server took over an expired
    /// lease) is reported to the pusher; the deploy itself goes on to a consistent end.
    private func renewLock(app: String, env: String, holder: String, deploy: String, lease: Double, held: HeldLock) async {
        while !Task.isCancelled {
            try? await clock.sleep(for: .seconds(lease / 3))
            if Task.isCancelled { return }
            do {
                held.etag = try await store.renewLock(app, env, holder: holder, deploy: deploy, lease: lease, etag: held.etag, clock: clock)
            } catch {
                output.error("lost the deploy lock of \(app) (\(env)): \(error.userMessage)")
                return
            }
        }
    }

    private func deployLocked(_ release: Release, settings: DeploySettings, target: any DeployTarget, targetName: String, id: String,
                              counter: RequestCounter) async throws -> String {
        let app = release.app, env = release.env
        let recordStart = ContinuousClock.now
        let (prevVersion, etag) = try await store.current(app, env)
        let previous = try await prevVersion.asyncMap { try await store.release(app, env, $0) } ?? nil
        let record = DeployRecord(id: id, app: app, env: env, release: release.version, previous: prevVersion, target: targetName)
        let context = DeployContext(id: id, output: output, store: store, record: record)
        try await store.saveDeploy(record)
        notify(.deployStarted, release, deploy: id, previous: previous)
        PhaseTrace.end("deploy.record", since: recordStart)

        // The release phase runs before anything switches: its failure leaves `current` alone.
        let phase = ReleasePhase(paths: paths, store: store, output: output)
        if runsReleasePhase {
            do { try await PhaseTrace.measure("deploy.release-phase") { try await phase.runReleaseCommand(release, settings: settings) } } catch {
                await context.update { $0.outcome = .failed; $0.finishedAt = Date(); $0.error = error.userMessage; $0.requests = counter.snapshot }
                notify(.deployFailed, release, deploy: id, previous: previous, error: error)
                let still = previous.map { "; \($0.name) is still serving" } ?? ""
                throw RikerError(.deployFailed, "\(release.name) was not deployed: \(error.userMessage)\(still)")
            }
        }

        output.step("Deploying \(release.name) to \(targetName)")
        let currentTag = try await store.setCurrent(app, env, to: release.version, expected: etag)
        do {
            let address = try await PhaseTrace.measure("deploy.rollout") { try await target.rollout(release, previous: previous, context: context) }
            await context.update { $0.outcome = .succeeded; $0.finishedAt = Date(); $0.requests = counter.snapshot }
            notify(.deploySucceeded, release, deploy: id, previous: previous)
            output.step("Deployed: \(address)")
            await PhaseTrace.measure("deploy.postdeploy") { await phase.runPostdeploy(release, settings: settings) }
            return address
        } catch {
            // Put `current` back, unless someone else has moved it since.
            if let prevVersion {
                _ = try? await store.setCurrent(app, env, to: prevVersion, expected: currentTag)
            } else {
                try? await store.delete(StoreLayout.current(app, env))
            }
            await context.update { $0.outcome = .rolledBack; $0.finishedAt = Date(); $0.error = error.userMessage; $0.requests = counter.snapshot }
            notify(.deployRolledBack, release, deploy: id, previous: previous, error: error)
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
