import Foundation
import RikerCore

extension ReleaseStore {
    public func setDesired(_ app: String, _ env: String, instance: String, _ desired: DesiredRelease) async throws {
        try await put(StoreLayout.desired(app, env, instance), try JSONCoding.encode(desired), condition: .always)
    }

    public func desired(_ app: String, _ env: String, instance: String) async throws -> DesiredRelease? {
        guard let obj = try await get(StoreLayout.desired(app, env, instance)) else { return nil }
        return try JSONCoding.decode(DesiredRelease.self, from: obj.data, what: "desired release of \(instance)")
    }

    public func writeStatus(_ app: String, _ env: String, _ status: InstanceStatus) async throws {
        try await put(StoreLayout.status(app, env, status.instance), try JSONCoding.encode(status), condition: .always)
    }

    public func status(_ app: String, _ env: String, instance: String) async throws -> InstanceStatus? {
        guard let obj = try await get(StoreLayout.status(app, env, instance)) else { return nil }
        return try JSONCoding.decode(InstanceStatus.self, from: obj.data, what: "status of \(instance)")
    }

    /// Instance ids that have a `desired` or `status` object.
    public func instanceIDs(_ app: String, _ env: String) async throws -> [String] {
        try await listChildren(prefix: StoreLayout.instancesPrefix(app, env))
    }

    public func saveDeploy(_ record: DeployRecord) async throws {
        try await put(StoreLayout.deploy(record.app, record.env, record.id), try JSONCoding.encode(record), condition: .always)
    }
}
