import Foundation
import RikerArchive
import RikerCore
import RikerRelease

extension ReleaseInstaller {
    var layerCache: LayerCache { LayerCache(store: store, paths: paths, logger: logger) }

    /// Installs a layered slug into `dir`: the layers this agent lacks are downloaded (each
    /// checked against its SHA-256), then the release dir is assembled from the cached layers
    /// (`ReleaseAssembler`). A cached layer found changed is discarded and fetched once more.
    /// Throws `.deployFailed` with the reason; the release dir is then left as it was.
    func installLayers(_ release: Release, _ layers: [SlugLayer], sha: String, dir: URL, user: AppUser?) async throws -> URL {
        guard !layers.isEmpty else { throw RikerError(.deployFailed, "\(release.name) of \(release.app) lists no layers: rebuild it") }
        let layers = try await checkedLayers(release, layers, sha: sha)
        let cache = layerCache
        let assembler = ReleaseAssembler(owner: user)
        // No layer may unpack to more than the whole slug says it does.
        let total = release.unpackedSize ?? SlugLimits.defaultMaxBytes
        try FileManager.default.createDirectory(at: paths.releases, withIntermediateDirectories: true)
        var refetched = Set<ContentDigest>()
        while true {
            var cached: [LayerCache.Cached] = []
            for var layer in layers {
                layer.unpackedSize = min(layer.unpackedSize, total)
                cached.append(try await PhaseTrace.measure("agent.layer-\(layer.role.rawValue)") { try await cache.ensure(layer, of: release, group: user) })
            }
            let staging = paths.releases.appendingPathComponent(".\(release.name)-\(UUID().uuidString.prefix(8))")
            let ready = cached
            do {
                try await PhaseTrace.measure("agent.assemble") { try await Blocking.run {
                    try assembler.assemble(ready, into: staging)
                    let marker = staging.appendingPathComponent(Self.marker)
                    try AtomicFile.write(Data((sha + "\n").utf8), to: marker)
                    if let user, geteuid() == 0 { lchown(marker.path, user.uid, user.gid) }
                } }
                try cache.recordUse(version: release.version, digests: layers.map(\.digest))
                if FileManager.default.fileExists(atPath: dir.path) { try FileManager.default.removeItem(at: dir) }
                guard rename(staging.path, dir.path) == 0 else { throw RikerError.posix("cannot move the assembled release to", path: dir.path) }
            } catch let changed as ReleaseAssembler.Changed where !refetched.contains(changed.digest) {
                try? FileManager.default.removeItem(at: staging)
                logger.warning("cached layer \(changed.digest.hex.prefix(12)) changed since it was unpacked: fetching it again")
                cache.discard(changed.digest)
                refetched.insert(changed.digest)
                continue
            } catch let changed as ReleaseAssembler.Changed {
                try? FileManager.default.removeItem(at: staging)
                throw RikerError(.deployFailed, "layer \(changed.digest.hex.prefix(12)) of \(release.name) changed while it was being assembled")
            } catch {
                try? FileManager.default.removeItem(at: staging)
                throw error
            }
            let fetched = cached.filter(\.fetched)
            let bytes = fetched.reduce(Int64(0)) { $0 + $1.layer.size }
            logger.info("\(release.name): assembled from \(layers.count) layers, fetched \(fetched.count) (\(bytes) bytes)")
            return dir
        }
    }

    /// The layers `release` lists, checked against its artifact, the slug manifest whose SHA-256
    /// is `sha`: the list is encoded as the manifest was (compact, sorted keys), which costs no
    /// download. Should the encoding ever differ, the manifest blob itself is fetched (checked
    /// against `sha`) and its list must be the release's. Throws `.deployFailed` otherwise.
    func checkedLayers(_ release: Release, _ layers: [SlugLayer], sha: String) async throws -> [SlugLayer] {
        if let data = try? SlugManifest(layers: layers).encoded(), ContentDigest.of(data).hex == sha { return layers }
        guard let digest = ContentDigest(hex: sha) else {
            throw RikerError(.deployFailed, "\(release.name) of \(release.app) has no valid sha256: rebuild it")
        }
        let data = try await store.blobData(app: release.app, digest)
        let manifest = try OCI.decode(SlugManifest.self, from: data, what: "slug manifest")
        guard manifest.layers == layers else {
            throw RikerError(.deployFailed, "\(release.name) of \(release.app) lists layers its slug manifest \(release.artifact) does not: refusing to run it")
        }
        return layers
    }
}
