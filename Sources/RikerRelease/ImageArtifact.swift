import Foundation
import RikerCore

/// The image of a `dockerfile` release, as recorded in release.json: where its blobs are
/// (the manifest names the config and layers, all under `apps/APP/blobs/sha256/`) and how it
/// runs, so `releases` and the agent need not fetch the config to know.
///
/// A process type whose command is empty (`ImageArtifact.imageCommand`) runs the image's own
/// ENTRYPOINT and CMD; any other command runs as `/bin/sh -c COMMAND` in the image.
public struct ImageArtifact: Codable, Sendable, Equatable {
    /// The process-type command meaning "run the image's ENTRYPOINT/CMD".
    public static let imageCommand = ""

    /// Digest of the OCI manifest blob (what the agent fetches first).
    public var manifest: ContentDigest
    /// Digest of the image config, which is also the image ID engines show.
    public var config: ContentDigest
    public var entrypoint: [String]?
    public var cmd: [String]?
    /// The lowest TCP port the image EXPOSEs; the web process gets it as `PORT`.
    public var port: Int?
    /// The image's own environment (`KEY=VALUE`), under the release's config vars.
    public var env: [String]?
    public var workingDir: String?

    enum CodingKeys: String, CodingKey {
        case manifest, config, entrypoint, cmd, port, env
        case workingDir = "working_dir"
    }

    public init(manifest: ContentDigest, config: ContentDigest, entrypoint: [String]? = nil, cmd: [String]? = nil,
                port: Int? = nil, env: [String]? = nil, workingDir: String? = nil) {
        self.manifest = manifest; self.config = config; self.entrypoint = entrypoint; self.cmd = cmd
        self.port = port; self.env = env; self.workingDir = workingDir
    }

    /// The artifact of an image whose manifest is `manifest` and whose config blob `config` parses as `image`.
    public init(manifest: ContentDigest, config: ContentDigest, image: OCIImageConfig) {
        let run = image.config
        self.init(manifest: manifest, config: config, entrypoint: run?.entrypoint, cmd: run?.cmd, port: image.exposedPort,
                  env: run?.env, workingDir: run?.workingDir.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The image's own command line (ENTRYPOINT then CMD), for messages; empty when it has none.
    public var defaultCommand: [String] { (entrypoint ?? []) + (cmd ?? []) }
}
