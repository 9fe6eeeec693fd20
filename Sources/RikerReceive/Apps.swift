import Foundation
import RikerCore
import RikerDeploy
import RikerRelease

/// The one place apps are created and destroyed: the store's `app.json`, the bare repository
/// with Riker's hooks, the build cache, and the local agents that run it.
public struct Apps {
    public let paths: RikerPaths
    public let store: any ReleaseStore

    public init(paths: RikerPaths, store: any ReleaseStore) { self.paths = paths; self.store = store }

    /// Creates `app`. Throws `.alreadyExists` if it is there (two creators: exactly one wins).
    public func create(_ app: String) async throws {
        try AppName.validate(app)
        try await store.createApp(AppSettings(name: app))
        try AppRepository.ensure(app, paths: paths)
    }

    /// Makes sure `app` exists (creating it when `mayCreate`), with its repository and current
    /// hooks. Returns true when this call created it. Throws `.notFound` when it is missing and
    /// may not be created.
    @discardableResult
    public func ensure(_ app: String, mayCreate: Bool) async throws -> Bool {
        try AppName.validate(app)
        var created = false
        if try await store.app(app) == nil {
            guard mayCreate else { throw RikerError(.notFound, "app \(app) does not exist: ask an admin to create it") }
            do { try await store.createApp(AppSettings(name: app)); created = true } catch let e as RikerError where e.code == .alreadyExists {}
        }
        try AppRepository.ensure(app, paths: paths)
        return created
    }

    /// Deletes `app`: releases, slugs, config and settings in the store, its repository, build
    /// cache and workspaces. `app.json` goes first, so `riker serve` stops its agents even if the rest is slow.
    public func destroy(_ app: String) async throws {
        try AppName.validate(app)
        guard try await store.app(app) != nil else { throw RikerError(.notFound, "app \(app) does not exist: see apps:list") }
        try await store.delete(StoreLayout.app(app))
        LocalServer.poke(paths)
        for obj in try await store.list(prefix: "apps/\(app)/") { try await store.delete(obj.key) }
        try AppRepository.remove(app, paths: paths)
        for dir in [paths.buildCache(app), paths.slugWorkspace(app), paths.imageWorkspace(app)] { try? FileManager.default.removeItem(at: dir) }
    }
}
