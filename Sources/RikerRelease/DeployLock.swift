import Foundation
import RikerCore

/// The deploy lock of an app env: one deploy at a time across every Riker server sharing a store.
///
/// Taken with create-if-absent; it carries a lease, so a holder that died does not block
/// deploys forever: an expired lock is taken over with compare-and-swap on its entity tag.
public struct DeployLock: Codable, Sendable, Equatable {
    public var holder: String
    public var deploy: String
    public var expiresAt: Date
    enum CodingKeys: String, CodingKey {
        case holder, deploy
        case expiresAt = "expires_at"
    }
}

extension ReleaseStore {
    /// Takes the lock for `lease` seconds, waiting up to `wait` seconds for a live holder to let go.
    /// Returns the lock's entity tag (needed to renew or release it). Leases are wall-clock
    /// dates on `clock` (every server sharing the store compares them).
    public func acquireLock(_ app: String, _ env: String, holder: String, deploy: String, lease: Double, wait: Double = 0,
                            clock: any Clock<Duration> = ContinuousClock()) async throws -> String {
        let key = StoreLayout.lock(app, env)
        let waited = Stopwatch(clock)
        while true {
            let now = wallDate(clock)
            let mine = try JSONCoding.encode(DeployLock(holder: holder, deploy: deploy, expiresAt: now.addingTimeInterval(lease)))
            do { return try await put(key, mine, condition: .ifAbsent) } catch let e as RikerError where e.code == .preconditionFailed {}
            if let obj = try await get(key) {
                let held = try? JSONCoding.decode(DeployLock.self, from: obj.data, what: "deploy lock")
                if held == nil || held!.expiresAt < now {
                    // Expired (or unreadable): take it over, unless someone else just did.
                    if let etag = try? await put(key, mine, condition: .ifMatch(obj.etag)) { return etag }
                    continue
                }
                if waited.exceeded(wait) {
                    throw RikerError(.locked, "\(app) (\(env)) is being deployed by \(held!.holder) (deploy \(held!.deploy)); try again when it finishes")
                }
            }
            try await clock.sleep(for: .milliseconds(200))
        }
    }

    /// Extends a held lock; returns the new entity tag. Throws `.preconditionFailed` if it was lost.
    public func renewLock(_ app: String, _ env: String, holder: String, deploy: String, lease: Double, etag: String,
                          clock: any Clock<Duration> = ContinuousClock()) async throws -> String {
        let lock = DeployLock(holder: holder, deploy: deploy, expiresAt: wallDate(clock).addingTimeInterval(lease))
        return try await put(StoreLayout.lock(app, env), try JSONCoding.encode(lock), condition: .ifMatch(etag))
    }

    /// Lets go of the lock if it is still ours.
    public func releaseLock(_ app: String, _ env: String, etag: String) async throws {
        let key = StoreLayout.lock(app, env)
        guard let obj = try await get(key), obj.etag == etag else { return }
        try await delete(key)
    }
}
