import Foundation
import RikerCore
import RikerRelease

/// Puts an app env back in order after a deploy whose process died mid-way (kill -9, a crashed
/// server): `current` had moved to the new release first and only that process would have
/// moved it back. Whoever takes the deploy lock over next (a deploy, or `riker serve`'s scan)
/// reads the dead deploy's record and, if it never finished, moves `current` back to the
/// release it replaced, tells the instances it had reached to run that release again, and
/// records the deploy as failed.
public struct DeployRecovery {
    public let store: any ReleaseStore
    public let output: Output

    public init(store: any ReleaseStore, output: Output) { self.store = store; self.output = output }

    /// Recovers the deploy `interrupted` names, if its record says it was still running.
    public func recover(_ app: String, _ env: String, interrupted: DeployLock) async throws {
        guard let obj = try await store.get(StoreLayout.deploy(app, env, interrupted.deploy)) else { return }
        var record = try JSONCoding.decode(DeployRecord.self, from: obj.data, what: "deploy record \(interrupted.deploy)")
        guard record.outcome == .running else { return }
        let (current, etag) = try await store.current(app, env)
        var outcome = "current stays v\(current.map(String.init) ?? "-")"
        if current == record.release {
            if let previous = record.previous {
                try await store.setCurrent(app, env, to: previous, expected: etag)
                outcome = "current is back on v\(previous)"
            } else {
                try await store.delete(StoreLayout.current(app, env))
                outcome = "nothing is current (it was the first deploy)"
            }
        }
        // Instances it had told to run the new release are told to run the old one again.
        if let previous = record.previous {
            for id in Set(record.batches.flatMap(\.instances)).sorted() {
                guard let desired = try await store.desired(app, env, instance: id), desired.deploy == record.id else { continue }
                try await store.setDesired(app, env, instance: id, DesiredRelease(release: previous, deploy: record.id + "-recovered"))
            }
        }
        record.outcome = .failed
        record.finishedAt = Date()
        record.error = "interrupted: the deploying process (\(interrupted.holder)) stopped before the deploy finished; \(outcome)"
        try await store.saveDeploy(record)
        output.step("Recovered deploy \(record.id) of v\(record.release) to \(app) (\(env)), interrupted by \(interrupted.holder): \(outcome)")
    }

    /// Takes over the lock of an app env whose holder is gone, recovers its deploy and lets go
    /// again. Does nothing when the lock is free or its holder is alive.
    public func recoverIfAbandoned(_ app: String, _ env: String, holder: String) async throws {
        guard let obj = try await store.get(StoreLayout.lock(app, env)),
              let held = try? JSONCoding.decode(DeployLock.self, from: obj.data, what: "deploy lock"),
              held.isAbandoned(now: Date()) else { return }
        let lock: HeldDeployLock
        do { lock = try await store.acquireLock(app, env, holder: holder, deploy: "recovery", lease: 60, wait: 0) } catch let e as RikerError where e.code == .locked { return }
        if let interrupted = lock.interrupted { try await recover(app, env, interrupted: interrupted) }
        try await store.releaseLock(app, env, etag: lock.etag)
    }
}
