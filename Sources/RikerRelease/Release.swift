import Foundation
import RikerCore

/// An immutable release: one slug, one config snapshot, one version number in one app env.
public struct Release: Codable, Sendable, Equatable {
    public var version: Int
    public var app: String
    public var env: String
    /// Full commit id the slug was built from.
    public var commit: String
    /// The ref that was pushed (`refs/heads/main`), or how the release was made (`rollback`).
    public var ref: String
    /// `buildpack:python`, `buildpack:https://…`, `dockerfile`.
    public var builder: String
    public var processTypes: [String: String]
    /// Store key of the artifact: `apps/APP/slugs/SHA256.tar.zst` for a single-archive slug; for
    /// a layered slug or an image, its manifest blob `apps/APP/blobs/sha256/HEX`. `sha256` is
    /// the artifact's digest either way.
    public var artifact: String
    public var sha256: String
    public var size: Int64
    /// Config vars at release time. Lives only in the store; never printed.
    public var config: [String: String]
    public var createdAt: Date
    public var createdBy: String
    public var description: String
    /// For builder `dockerfile`: the image, stored blob by blob. Nil for slug releases (and in
    /// every release.json written before images existed, which therefore still decode).
    public var image: ImageArtifact?
    /// Processes per instance by type. Nil in release.json written before formations existed
    /// (see `effectiveFormation`).
    public var formation: Formation?
    /// What the app's `app.json` said (postdeploy, formation, health checks); nil without one.
    public var manifest: AppManifest?
    /// What the slug's files add up to unpacked (apparent sizes): the agent refuses a slug whose
    /// entries add up to more. Nil in images and in releases written before it was recorded.
    public var unpackedSize: Int64?
    /// For a layered slug: its layers, as its manifest (the artifact) lists them. Nil for a
    /// single-archive slug (every release written before layers existed) and for images.
    public var layers: [SlugLayer]?

    enum CodingKeys: String, CodingKey {
        case version, app, env, commit, ref, builder
        case processTypes = "process_types"
        case artifact, sha256, size, config
        case createdAt = "created_at"
        case createdBy = "created_by"
        case description
        case image, formation, manifest
        case unpackedSize = "unpacked_size"
        case layers
    }

    public init(version: Int, app: String, env: String, commit: String, ref: String, builder: String,
                processTypes: [String: String], artifact: String, sha256: String, size: Int64,
                config: [String: String], createdAt: Date = Date(), createdBy: String, description: String,
                image: ImageArtifact? = nil, unpackedSize: Int64? = nil, formation: Formation? = nil, manifest: AppManifest? = nil,
                layers: [SlugLayer]? = nil) {
        self.version = version; self.app = app; self.env = env; self.commit = commit; self.ref = ref
        self.builder = builder; self.processTypes = processTypes; self.artifact = artifact
        self.sha256 = sha256; self.size = size; self.config = config; self.createdAt = createdAt
        self.createdBy = createdBy; self.description = description; self.image = image
        self.unpackedSize = unpackedSize; self.formation = formation; self.manifest = manifest; self.layers = layers
    }

    public var name: String { "v\(version)" }
    public var shortCommit: String { String(commit.prefix(7)) }
}

/// Parses `vN` (as stored in `current` and `desired`).
public func parseVersion(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard t.hasPrefix("v"), let n = Int(t.dropFirst()), n > 0 else { return nil }
    return n
}
