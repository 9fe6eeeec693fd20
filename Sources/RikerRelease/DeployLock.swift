import Foundation
import RikerCore

/// The deploy lock of an app env: one deploy at a time across every Riker server sharing a store.
///
/// Taken with create-if-absent; it carries a lease, so a holder that died does not block
/// deploys forever: an expired lock is taken over with compare-and-swap on its entity tag. A
/// holder on this very machine whose process is gone is known dead at once, lease or not.
public struct DeployLock: Codable, Sendable, Equatable {
    public var holder: String
    public var deploy: String
    public var expiresAt: Date
    /// The host and process (`PID:STARTTIME`) holding it, so this host can tell a dead holder.
    public var host: String?
    public var process: String?

    enum CodingKeys: String, CodingKey {
        case holder, deploy, host, process
        case expiresAt = "expires_at"
    }

    public init(holder: String, deploy: String, expiresAt: Date, host: String? = nil, process: String? = nil) {
        self.holder = holder; self.deploy = deploy; self.expiresAt = expiresAt; self.host = host; self.process = process
    }

    /// A lock for this process, leased until `expiresAt`.
    static func mine(holder: String, deploy: String, expiresAt: Date) -> DeployLock {
        DeployLock(holder: holder, deploy: deploy, expiresAt: expiresAt, host: ProcessInfo.processInfo.hostName,
                   process: ProcessIdentity.of(getpid())?.description)
    }

    /// Whether the holder is gone for sure: its lease ran out, or it ran on this host and its
    /// process no longer exists.
    public func isAbandoned(now: Date) -> Bool {
        if expiresAt < now { return true }
        guard host == ProcessInfo.processInfo.hostName, let process, let identity = ProcessIdentity(parsing: process) else { return false }
        return !identity.isAlive
    }
}

/// A deploy lock now held: its entity tag (to renew or release it), and the lock it took
/// over from a deploy that died holding it, if any (whoever comes next recovers that deploy).
public struct HeldDeployLock: Sendable {
    public var etag: String
    public var interrupted: DeployLock?
}

extension ReleaseStore {
    /// Takes the lock for `lease` seconds, waiting up to `wait` seconds for a live holder to let go.
    /// Leases are wall-clock dates on `clock` (every server sharing the store compares them).
    /// Throws `.locked` naming the holder when it is still held after `wait`.
    public func acquireLock(_ app: String, _ env: String, holder: String, deploy: String, lease: Double, wait: Double = 0,
                            clock: any Clock<Duration> = ContinuousClock()) async throws -> HeldDeployLock {
        let key = StoreLayout.lock(app, env)
        let waited = Stopwatch(clock)
        while true {
            let now = wallDate(clock)
            let mine = try JSONCoding.encode(DeployLock.mine(holder: holder, deploy: deploy, expiresAt: now.addingTimeInterval(lease)))
            do { return HeldDeployLock(etag: try await put(key, mine, condition: .ifAbsent), interrupted: nil) } catch let e as RikerError where e.code == .preconditionFailed {}
            if let obj = try await get(key) {
                let held = try? JSONCoding.decode(DeployLock.self, from: obj.data, what: "deploy lock")
                if held == nil || held!.isAbandoned(now: now) {
                    // Its holder is gone (or the lock is unreadable): take it over, unless someone else just did.
                    if let etag = try? await put(key, mine, condition: .ifMatch(obj.etag)) { return HeldDeployLock(etag: etag, interrupted: held) }
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
        let lock = DeployLock.mine(holder: holder, deploy: deploy, expiresAt: wallDate(clock).addingTimeInterval(lease))
        return try await put(StoreLayout.lock(app, env), try JSONCoding.encode(lock), condition: .ifMatch(etag))
    }

    /// Lets go of the lock if it is still ours.
    public func releaseLock(_ app: String, _ env: String, etag: String) async throws {
        let key = StoreLayout.lock(app, env)
        guard let obj = try await get(key), obj.etag == etag else { return }
        try await delete(key)
    }
}
