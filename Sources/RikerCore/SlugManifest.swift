import Foundation


/// One layer of a layered slug: a zstd-compressed tar of some of the slug's top-level paths,
/// stored as the blob `apps/APP/blobs/sha256/HEX` of its digest.
public struct SlugLayer: Codable, Sendable, Equatable {
    /// What a layer holds, which decides how an agent places it in a release dir.
    public struct Role: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// What a buildpack installed (`.heroku`, `vendor`, `node_modules`, or what it lists in
        /// `.riker/layers`): shared read-only between the releases that use it.
        public static let dependencies = Role(rawValue: "dependencies")
        /// Everything else: the app's own files, writable by the app as ever. Agents treat a role
        /// they do not know like this one (a private copy), the safe choice.
        public static let app = Role(rawValue: "app")
        public var description: String { rawValue }
    }

    /// SHA-256 of the compressed blob.
    public var digest: ContentDigest
    /// Bytes of the compressed blob.
    public var size: Int64
    /// What the layer's files add up to unpacked (the agent's cap when unpacking it).
    public var unpackedSize: Int64
    public var role: Role
    /// The top-level names a dependencies layer holds; nil for the app layer (everything else).
    public var paths: [String]?

    enum CodingKeys: String, CodingKey {
        case digest, size, role, paths
        case unpackedSize = "unpacked_size"
    }

    public init(digest: ContentDigest, size: Int64, unpackedSize: Int64, role: Role, paths: [String]? = nil) {
        self.digest = digest; self.size = size; self.unpackedSize = unpackedSize; self.role = role; self.paths = paths
    }
}

/// The artifact of a layered slug: its layers, bottom (dependencies) first, app last. Stored as
/// a blob; its digest is the release's `sha256` and its key the release's `artifact`, so the
/// whole slug stays one content address, as a single-archive slug's was.
public struct SlugManifest: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.riker.slug.v1+json"

    public var schemaVersion: Int
    public var mediaType: String
    public var layers: [SlugLayer]

    public init(layers: [SlugLayer]) {
        schemaVersion = 1; mediaType = Self.mediaType; self.layers = layers
    }

    /// The manifest's bytes: compact JSON with sorted keys, so the same layers give the same digest.
    public func encoded() throws -> Data { try OCI.encode(self) }

    /// Compressed bytes of all the layers.
    public var size: Int64 { layers.reduce(0) { $0 + $1.size } }
    /// What all the layers' files add up to unpacked.
    public var unpackedSize: Int64 { layers.reduce(0) { $0 + $1.unpackedSize } }
}
