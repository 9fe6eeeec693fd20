import Foundation
import RikerBuild
import RikerCore
import RikerRelease

/// What storing a Dockerfile build gave: the fields of the release that come from its artifact.
public struct StoredImage: Sendable {
    /// `dockerfile`.
    public var builder: String
    /// Procfile types; `web` is `""` (the image's own ENTRYPOINT/CMD) unless the Procfile names one.
    public var processTypes: [String: String]
    /// The manifest blob's store key, its hex digest and the bytes of all the image's blobs.
    public var artifact: String
    public var sha256: String
    public var size: Int64
    public var image: ImageArtifact
    /// What was uploaded, and what the store already had.
    public var push: BlobPushSummary
}

extension Pipeline {
    /// Builds the Dockerfile app checked out in `buildDir` with podman (or docker) and stores
    /// the image's blobs that the store lacks under `apps/APP/blobs/sha256/`. `buildArgs` and
    /// `network` are the app env's `build.args` and `build.network` settings; `workDir` is the
    /// build's scratch directory (the caller removes it).
    ///
    /// Throws `.buildFailed` with a one-line reason: no engine on this host, a bad setting, a
    /// failing Dockerfile step (the engine's error line), the time limit. Nothing is stored then.
    public func buildAndStoreImage(app: String, buildDir: URL, workDir: URL, config: [String: String],
                                   settings: BuildSettings) async throws -> StoredImage {
        let engine: ContainerEngine
        let request: DockerfileBuildRequest
        do {
            engine = try ContainerEngine.detect(storage: paths.containerStorage)
            request = DockerfileBuildRequest(app: app, buildDir: buildDir, config: config, buildArgs: settings.args,
                                             network: settings.network, engine: engine,
                                             workspace: paths.imageWorkspace(app), tmpDir: workDir, timeout: settings.timeout, output: output)
        } catch let e as RikerError where e.code != .buildFailed {
            throw RikerError(.buildFailed, e.message)
        }
        let built = try await Blocking.run { try DockerfileBuild.build(request) }

        output.step("Storing image")
        let push = try await store.pushBlobs(app: app, built.blobs, from: built.layout, tags: ["app": app])
        output.detail("Uploaded \(push.uploaded) of \(push.uploaded + push.present) blobs (\(humanSize(push.uploadedBytes)))"
            + (push.present > 0 ? "; \(push.present) already stored" : ""))
        return StoredImage(builder: built.builder, processTypes: built.processTypes, artifact: StoreLayout.blob(app, built.manifest),
                           sha256: built.manifest.hex, size: built.size,
                           image: ImageArtifact(manifest: built.manifest, config: built.config, image: built.imageConfig), push: push)
    }
}
