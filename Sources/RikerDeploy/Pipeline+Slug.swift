import Foundation
import RikerArchive
import RikerBuild
import RikerCore
import RikerRelease

/// What storing a layered slug gave: the fields of the release that come from it.
struct StoredSlug {
    /// The manifest blob's key and hex digest: the release's `artifact` and `sha256`.
    var key: String
    var sha256: String
    /// Compressed bytes of all the layers, and what their files add up to.
    var size: Int64
    var unpackedSize: Int64
    var layers: [SlugLayer]
}

extension Pipeline {
    /// Packs the built `buildDir` into layers (`SlugWorkspace`: a dependencies layer packed
    /// from the same inputs before is not packed again) and uploads the blobs the store lacks
    /// under `apps/APP/blobs/sha256/`, the manifest last. Throws `.buildFailed` when the slug is
    /// over its cap, past the build's deadline, or `.riker/layers` is malformed.
    func storeLayeredSlug(_ request: PipelineRequest, buildDir: URL, work: URL, limits: SlugLimits) async throws -> StoredSlug {
        let workspace = SlugWorkspace(dir: paths.slugWorkspace(request.app))
        let layout = work.appendingPathComponent("slug-layers")
        let packed: SlugWorkspace.Packed
        do {
            packed = try await PhaseTrace.measure("build.pack") {
                try await Blocking.run { try workspace.pack(buildDir: buildDir, layout: layout, limits: limits) }
            }
        } catch let e as RikerError {
            throw RikerError(.buildFailed, e.message)
        }
        let manifest = packed.manifest
        let parts = manifest.layers.map { layer in
            let name = layer.paths?.joined(separator: ",") ?? "app"
            return "\(name) \(humanSize(layer.size))" + (packed.reused.contains(layer) ? " (unchanged, not packed again)" : "")
        }
        output.detail("Done: \(humanSize(manifest.size)) in \(manifest.layers.count) layer\(manifest.layers.count == 1 ? "" : "s"): "
            + parts.joined(separator: ", "))
        let push = try await PhaseTrace.measure("build.upload") {
            try await store.pushBlobs(app: request.app, packed.blobs, from: layout,
                                      tags: ["app": request.app, "env": request.env, "commit": request.commit])
        }
        output.detail("Uploaded \(push.uploaded) of \(push.uploaded + push.present) blobs (\(humanSize(push.uploadedBytes)))"
            + (push.present > 0 ? "; \(push.present) already stored" : ""))
        return StoredSlug(key: StoreLayout.blob(request.app, packed.manifestDigest), sha256: packed.manifestDigest.hex,
                          size: manifest.size, unpackedSize: manifest.unpackedSize, layers: manifest.layers)
    }
}
