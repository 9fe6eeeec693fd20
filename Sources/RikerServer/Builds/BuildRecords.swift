import Foundation
import RikerCore
import RikerRelease

/// Build records in the release store (`builds/APP/ID.json`, beside the build logs), so every
/// server sharing the store sees the same builds.
public struct BuildRecords: Sendable {
    public let store: any ReleaseStore

    public init(store: any ReleaseStore) { self.store = store }

    static func key(_ app: String, _ id: String) -> String { "builds/\(app)/\(id).json" }

    public func save(_ record: BuildRecord) async throws {
        try await store.put(Self.key(record.app, record.id), try JSONCoding.encode(record), condition: .always)
    }

    /// Changes a record (read, change, write); nil if it does not exist.
    @discardableResult
    public func update(app: String, id: String, _ change: (inout BuildRecord) -> Void) async throws -> BuildRecord? {
        guard var record = try await get(app: app, id: id) else { return nil }
        change(&record)
        try await save(record)
        return record
    }

    public func get(app: String, id: String) async throws -> BuildRecord? {
        guard AppName.isValid(app), BuildID.isValid(id), let obj = try await store.get(Self.key(app, id)) else { return nil }
        return try JSONCoding.decode(BuildRecord.self, from: obj.data, what: "build record \(id)")
    }

    /// A build by id alone (looked for under every app).
    public func find(id: String) async throws -> BuildRecord? {
        guard BuildID.isValid(id) else { return nil }
        for app in try await store.appNames() {
            if let r = try await get(app: app, id: id) { return r }
        }
        return nil
    }

    /// The app's newest builds first, at most `limit`.
    public func list(app: String, limit: Int = 50) async throws -> [BuildRecord] {
        guard AppName.isValid(app) else { return [] }
        let keys = try await store.list(prefix: "builds/\(app)/").map(\.key).filter { $0.hasSuffix(".json") }
        var out: [BuildRecord] = []
        for key in keys.sorted(by: >).prefix(limit) {
            guard let obj = try await store.get(key) else { continue }
            out.append(try JSONCoding.decode(BuildRecord.self, from: obj.data, what: "build record \(key)"))
        }
        return out
    }
}
