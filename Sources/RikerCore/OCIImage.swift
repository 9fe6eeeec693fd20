import Foundation

/// The parts of the OCI image format Riker reads and writes (image-spec v1): an image layout's
/// `index.json`, a manifest, and an image config. Fields Riker does not use are not kept, so a
/// manifest Riker writes is its own (its digest is computed from Riker's encoding).
public enum OCI {
    public static let layoutVersion = #"{"imageLayoutVersion":"1.0.0"}"#
    public static let indexMediaType = "application/vnd.oci.image.index.v1+json"
    public static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let configMediaType = "application/vnd.oci.image.config.v1+json"
    public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// Docker's media types, as `docker save` may write them.
    public static let dockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// The annotation naming a manifest in an image layout's index (`oci:DIR:NAME`).
    public static let refName = "org.opencontainers.image.ref.name"

    /// Whether a layer of this media type is an uncompressed tar (worth compressing before storing).
    public static func isUncompressedLayer(_ mediaType: String) -> Bool {
        mediaType == layerTar || mediaType == dockerLayerTar
    }

    /// Compact JSON with sorted keys: the same value always gives the same bytes, hence digest.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw RikerError(.invalidInput, "cannot parse \(what): \(error)")
        }
    }
}

/// A reference to one blob: what it is, its digest and size.
public struct OCIDescriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: ContentDigest
    public var size: Int64
    public var annotations: [String: String]?

    public init(mediaType: String, digest: ContentDigest, size: Int64, annotations: [String: String]? = nil) {
        self.mediaType = mediaType; self.digest = digest; self.size = size; self.annotations = annotations
    }
}

/// `index.json` of an image layout: the manifests it holds, each optionally named.
public struct OCIIndex: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [OCIDescriptor]

    public init(manifests: [OCIDescriptor]) {
        schemaVersion = 2; mediaType = OCI.indexMediaType; self.manifests = manifests
    }

    /// The manifest named `ref` (the `org.opencontainers.image.ref.name` annotation).
    public func manifest(named ref: String) -> OCIDescriptor? {
        manifests.last { $0.annotations?[OCI.refName] == ref }
    }
}

/// An image manifest: the config blob and the layers, bottom first.
public struct OCIManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(config: OCIDescriptor, layers: [OCIDescriptor], annotations: [String: String]? = nil) {
        schemaVersion = 2; mediaType = OCI.manifestMediaType; self.config = config; self.layers = layers
        self.annotations = annotations
    }

    /// Every blob the manifest refers to: config first, then the layers.
    public var blobs: [OCIDescriptor] { [config] + layers }
}

/// An image config: how to run the image, and the digests of its uncompressed layers.
public struct OCIImageConfig: Codable, Sendable, Equatable {
    /// What `docker run` / `podman run` use: the `config` object of the image config.
    public struct RunConfig: Codable, Sendable, Equatable {
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var env: [String]?
        public var workingDir: String?
        public var user: String?
        public var exposedPorts: [String: Empty]?

        public struct Empty: Codable, Sendable, Equatable {}

        enum CodingKeys: String, CodingKey {
            case entrypoint = "Entrypoint", cmd = "Cmd", env = "Env", workingDir = "WorkingDir", user = "User"
            case exposedPorts = "ExposedPorts"
        }
    }

    public struct RootFS: Codable, Sendable, Equatable {
        public var type: String
        public var diffIDs: [ContentDigest]
        enum CodingKeys: String, CodingKey { case type, diffIDs = "diff_ids" }
    }

    public var architecture: String?
    public var os: String?
    public var config: RunConfig?
    public var rootfs: RootFS

    /// The lowest exposed TCP port (`EXPOSE 8080` or `8080/tcp`), nil when none is exposed.
    public var exposedPort: Int? {
        let ports = (config?.exposedPorts ?? [:]).keys.compactMap { key -> Int? in
            let parts = key.split(separator: "/")
            guard parts.count <= 2, parts.count == 1 || parts[1] == "tcp", let n = Int(parts[0]), (1...65535).contains(n) else { return nil }
            return n
        }
        return ports.min()
    }
}
