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
                cached.append(try await cache.ensure(layer, of: release, group: user))
            }
            let staging = paths.releases.appendingPathComponent(".\(release.name)-\(UUID().uuidString.prefix(8))")
            do {
                try await Blocking.run {
                    try assembler.assemble(cached, into: staging)
                    let marker = staging.appendingPathComponent(Self.marker)
                    try AtomicFile.write(Data((sha + "\n").utf8), to: marker)
                    if let user, geteuid() == 0 { lchown(marker.path, user.uid, user.gid) }
                }
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
            logger.info("\(release.name): assembled from \(layers.count) layers, fetched \(fetched.count) "
                + "(\(fetched.reduce(Int64(0)) { $0 + $1.layer.size }) bytes)")
            return dir
        }
    }
}
