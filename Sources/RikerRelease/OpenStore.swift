import Foundation
import RikerCore

/// Opens the store a URL names: `s3://BUCKET/PREFIX`, `file:///DIR` or a plain directory path.
public enum StoreLocator {
    public static func open(_ url: String) throws -> any ReleaseStore {
        if url.hasPrefix("s3://") {
            let rest = url.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            var prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !prefix.isEmpty { prefix += "/" }
            guard !bucket.isEmpty else { throw RikerError(.invalidInput, "store URL '\(url)' has no bucket: use s3://BUCKET/PREFIX") }
            return try S3ReleaseStore.fromEnvironment(bucket: bucket, prefix: prefix)
        }
        if url.hasPrefix("file://") { return LocalReleaseStore(directory: URL(fileURLWithPath: String(url.dropFirst(7)))) }
        if url.contains("://") { throw RikerError(.invalidInput, "unsupported store URL '\(url)': use s3://BUCKET/PREFIX or a directory") }
        return LocalReleaseStore(directory: URL(fileURLWithPath: url))
    }

    /// The store of a Riker server: `$RIKER_STORE`, then `store=` in ROOT/riker.conf, then ROOT/store.
    public static func open(paths: RikerPaths) throws -> any ReleaseStore {
        if let env = ProcessInfo.processInfo.environment["RIKER_STORE"], !env.isEmpty { return try open(env) }
        if let s = ServerConfig.load(paths)["store"], !s.isEmpty { return try open(s) }
        return LocalReleaseStore(directory: paths.localStore)
    }
}
