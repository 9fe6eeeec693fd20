import Foundation
import RikerRelease

/// Retention across a whole app env. Each `LogShipper` prunes its own instance's chunks; the
/// chunks of instances that are gone (a terminated ASG instance) are left to this, which a
/// server can run now and then.
public enum LogRetention {
    /// Deletes every chunk of APP/ENV whose first line is older than `maxAge` seconds (their
    /// keys say so: nothing is read). Returns how many were deleted.
    @discardableResult
    public static func prune(store: any ReleaseStore, app: String, env: String, maxAge: Double,
                             now: LogTimestamp = .now()) async throws -> Int {
        let oldest = now.millis - Int64(maxAge * 1000)
        var deleted = 0
        for object in try await store.list(prefix: LogChunkKey.prefix(app, env)) {
            guard let key = LogChunkKey(object.key, app: app, env: env), key.firstLine.millis < oldest else { continue }
            try await store.delete(object.key)
            deleted += 1
        }
        return deleted
    }
}
