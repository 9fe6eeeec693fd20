import Foundation
import RikerCore

extension ReleaseStore {
    /// The app's settings and their entity tag, or nil if the app does not exist.
    public func app(_ name: String) async throws -> (settings: AppSettings, etag: String)? {
        guard let obj = try await get(StoreLayout.app(name)) else { return nil }
        return (try JSONCoding.decode(AppSettings.self, from: obj.data, what: "app.json of \(name)"), obj.etag)
    }

    /// Creates the app; throws `.alreadyExists` if it is there (two creators: exactly one wins).
    public func createApp(_ settings: AppSettings) async throws {
        do { try await put(StoreLayout.app(settings.name), try JSONCoding.encode(settings), condition: .ifAbsent) } catch let e as RikerError where e.code == .preconditionFailed {
            throw RikerError(.alreadyExists, "app \(settings.name) already exists")
        }
    }

    /// Changes the app's settings with compare-and-swap, retrying when someone else wrote first.
    @discardableResult
    public func updateApp(_ name: String, _ change: (inout AppSettings) throws -> Void) async throws -> AppSettings {
        for _ in 0..<20 {
            guard let (settings, etag) = try await app(name) else { throw RikerError(.notFound, "app \(name) does not exist: create it with apps:create \(name)") }
            var s = settings
            try change(&s)
            do {
                try await put(StoreLayout.app(name), try JSONCoding.encode(s), condition: .ifMatch(etag))
                return s
            } catch let e as RikerError where e.code == .preconditionFailed { continue }
        }
        throw RikerError(.conflict, "app \(name) is being changed by someone else; try again")
    }

    /// Names of all apps in the store: those with an `app.json` (an agent of a destroyed app
    /// may still write its last status under the app's prefix).
    public func appNames() async throws -> [String] {
        var names: [String] = []
        for name in try await listChildren(prefix: "apps/") where AppName.isValid(name) {
            if try await head(StoreLayout.app(name)) != nil { names.append(name) }
        }
        return names
    }

    /// The config vars of an app env and their entity tag (empty and nil when none were set).
    public func config(_ app: String, _ env: String) async throws -> (vars: [String: String], etag: String?) {
        guard let obj = try await get(StoreLayout.config(app, env)) else { return ([:], nil) }
        return (try EnvFile.decode(String(decoding: obj.data, as: UTF8.self)), obj.etag)
    }

    /// Changes config vars with compare-and-swap; returns the new set.
    @discardableResult
    public func updateConfig(_ app: String, _ env: String, _ change: (inout [String: String]) throws -> Void) async throws -> [String: String] {
        for _ in 0..<20 {
            let (vars, etag) = try await config(app, env)
            var v = vars
            try change(&v)
            do {
                try await put(StoreLayout.config(app, env), Data(EnvFile.encode(v).utf8), condition: etag.map { .ifMatch($0) } ?? .ifAbsent)
                return v
            } catch let e as RikerError where e.code == .preconditionFailed { continue }
        }
        throw RikerError(.conflict, "config of \(app) (\(env)) is being changed by someone else; try again")
    }
}
