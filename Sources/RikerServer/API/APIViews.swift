import Foundation
import RikerRelease

/// What the API shows of an app: each environment with its current release.
struct AppView: Encodable {
    struct Env: Encodable {
        var env: String
        var current: Int?
        var release: String?
        var commit: String?
        var target: String?
        var deployedAt: Date?
        enum CodingKeys: String, CodingKey { case env, current, release, commit, target; case deployedAt = "deployed_at" }
    }
    var name: String
    var environments: [Env]
}

/// A release as the API shows it: config keys, never values.
struct ReleaseView: Encodable {
    var version: Int
    var name: String
    var commit: String
    var ref: String
    var builder: String
    var description: String
    var createdBy: String
    var createdAt: Date
    var current: Bool
    var sha256: String
    var size: Int64
    var processTypes: [String]
    var configKeys: [String]

    enum CodingKeys: String, CodingKey {
        case version, name, commit, ref, builder, description, current, sha256, size
        case createdBy = "created_by", createdAt = "created_at", processTypes = "process_types", configKeys = "config_keys"
    }

    init(_ r: Release, current: Int?) {
        version = r.version; name = r.name; commit = r.commit; ref = r.ref; builder = r.builder; description = r.description
        createdBy = r.createdBy; createdAt = r.createdAt; self.current = r.version == current; sha256 = r.sha256; size = r.size
        processTypes = r.processTypes.keys.sorted(); configKeys = r.config.keys.sorted()
    }
}

/// The body of `POST …/deploy`.
struct DeployBody: Decodable { var ref: String }
/// The body of `POST …/rollback`: a version (`3` or `"v3"`), or none for the one before current.
struct RollbackBody: Decodable {
    var version: Int?
    enum CodingKeys: String, CodingKey { case version }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let n = try? c.decodeIfPresent(Int.self, forKey: .version) { version = n; return }
        guard let text = try c.decodeIfPresent(String.self, forKey: .version) else { version = nil; return }
        guard let n = Int(text.hasPrefix("v") ? String(text.dropFirst()) : text), n > 0 else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: [CodingKeys.version], debugDescription: "not a release version"))
        }
        version = n
    }
}
/// The body of `POST /api/apps/APP/promote`.
struct PromoteBody: Decodable { var from: String; var to: String }
/// The body of `POST …/config`: vars to set and names to remove.
struct ConfigBody: Decodable {
    var set: [String: String]?
    var unset: [String]?
}
