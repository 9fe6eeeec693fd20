import Foundation
import RikerCore

extension ReleaseStore {
    /// Version numbers of an app env's releases, ascending.
    public func releaseVersions(_ app: String, _ env: String) async throws -> [Int] {
        try await listChildren(prefix: StoreLayout.releasesPrefix(app, env)).compactMap(parseVersion).sorted()
    }

    public func release(_ app: String, _ env: String, _ version: Int) async throws -> Release? {
        guard let obj = try await get(StoreLayout.release(app, env, version)) else { return nil }
        return try JSONCoding.decode(Release.self, from: obj.data, what: "release v\(version) of \(app)")
    }

    /// All releases of an app env, newest first (up to `limit`).
    public func releases(_ app: String, _ env: String, limit: Int = .max) async throws -> [Release] {
        var out: [Release] = []
        for v in try await releaseVersions(app, env).reversed().prefix(limit) {
            if let r = try await release(app, env, v) { out.append(r) }
        }
        return out
    }

    /// Stores `draft` as the next version: claims `vN/release.json` with create-if-absent, so two
    /// servers releasing at once get distinct versions and never overwrite each other.
    public func createRelease(_ draft: Release) async throws -> Release {
        var next = (try await releaseVersions(draft.app, draft.env).last ?? 0) + 1
        for _ in 0..<100 {
            var r = draft
            r.version = next
            do {
                try await put(StoreLayout.release(r.app, r.env, next), try JSONCoding.encode(r), condition: .ifAbsent)
                return r
            } catch let e as RikerError where e.code == .preconditionFailed {
                next += 1
            }
        }
        throw RikerError(.conflict, "could not claim a release number for \(draft.app) (\(draft.env)): too many concurrent releases")
    }

    /// The version `current` points at and its entity tag (nil, nil before the first deploy).
    public func current(_ app: String, _ env: String) async throws -> (version: Int?, etag: String?) {
        guard let obj = try await get(StoreLayout.current(app, env)) else { return (nil, nil) }
        return (parseVersion(String(decoding: obj.data, as: UTF8.self)), obj.etag)
    }

    /// Moves `current` to `version` only if it still has entity tag `expected` (nil: only if absent).
    /// Throws `.preconditionFailed` if someone else moved it first.
    @discardableResult
    public func setCurrent(_ app: String, _ env: String, to version: Int, expected: String?) async throws -> String {
        try await put(StoreLayout.current(app, env), Data("v\(version)\n".utf8), condition: expected.map { .ifMatch($0) } ?? .ifAbsent)
    }

    /// Uploads a slug under its content address unless it is already there. Returns its key.
    public func storeSlug(app: String, file: URL, sha256: String, ext: String, tags: [String: String]) async throws -> (key: String, uploaded: Bool) {
        let key = StoreLayout.slug(app, sha256: sha256, ext: ext)
        if try await head(key) != nil { return (key, false) }
        try await upload(key, from: file, tags: tags)
        return (key, true)
    }
}
