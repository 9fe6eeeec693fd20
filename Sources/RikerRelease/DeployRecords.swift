import Foundation
import RikerCore

/// Reading deploy records back from the store.
public struct DeployRecords: Sendable {
    public let store: any ReleaseStore
    public let app: String
    public let env: String

    public init(store: any ReleaseStore, app: String, env: String) { self.store = store; self.app = app; self.env = env }

    /// The `limit` most recent deploys, newest first. Ids begin with their start time, so the
    /// listing's order picks them; a record that cannot be read is skipped.
    public func newest(_ limit: Int) async throws -> [DeployRecord] {
        let prefix = StoreLayout.deploysPrefix(app, env)
        let ids = try await store.list(prefix: prefix).compactMap { object -> String? in
            guard object.key.hasSuffix(".json") else { return nil }
            let name = object.key.dropFirst(prefix.count).dropLast(".json".count)
            return name.isEmpty || name.contains("/") ? nil : String(name)
        }
        let records = try await withThrowingTaskGroup(of: DeployRecord?.self) { group in
            for id in ids.sorted().suffix(limit) { group.addTask { try? await record(id) } }
            var all: [DeployRecord] = []
            for try await r in group { if let r { all.append(r) } }
            return all
        }
        // Start times are stored to the second; within one second the higher release is the
        // later deploy (new releases, rollbacks and promotions all take the next number).
        return records.sorted { ($0.startedAt, $0.release, $0.id) > ($1.startedAt, $1.release, $1.id) }
    }

    /// The record of deploy `id`, nil if there is none.
    public func record(_ id: String) async throws -> DeployRecord? {
        guard let object = try await store.get(StoreLayout.deploy(app, env, id)) else { return nil }
        return try JSONCoding.decode(DeployRecord.self, from: object.data, what: "deploy record \(id)")
    }
}
