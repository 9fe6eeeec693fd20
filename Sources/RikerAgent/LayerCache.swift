import Foundation
import Logging
import RikerArchive
import RikerCore
import RikerRelease

/// The layers of layered slugs, unpacked once per digest and kept for the releases assembled
/// from them (`ReleaseAssembler`), in `DIR/layers`, the agent's alone (0700):
///
/// ```
/// sha256/HEX/tree/    the layer's files
/// sha256/HEX/state    "COUNT DIGEST": what a walk of tree/ must find (`LayerState`)
/// releases/vN         the layer digests release vN was assembled from (what pruning keeps)
/// ```
///
/// A layer is downloaded, checked against its SHA-256, unpacked into a staging dir (no more
/// than its recorded unpacked size), sealed, walked into its state, and only then renamed
/// into place; the compressed blob is not kept. Sealing a dependencies layer makes its files
/// read-only (write bits removed; what the owner could read or run, the group may too) and,
/// when the agent is root, gives them to root and the app user's group: release dirs hard-link
/// these files, and the app (another uid) can read and run them but not change them. Every
/// assembly re-walks the layer and compares its state, so a cached layer that changed anyway
/// (root, or the app itself when the agent is not root and so shares its uid) is fetched again.
struct LayerCache: Sendable {
    let store: any ReleaseStore
    let paths: AgentDirectory
    let logger: Logger

    var dir: URL { paths.dir.appendingPathComponent("layers") }
    var layersDir: URL { dir.appendingPathComponent("sha256") }
    var usesDir: URL { dir.appendingPathComponent("releases") }
    func layerDir(_ digest: ContentDigest) -> URL { layersDir.appendingPathComponent(digest.hex) }
    func tree(_ digest: ContentDigest) -> URL { layerDir(digest).appendingPathComponent("tree") }
    private func stateFile(_ digest: ContentDigest) -> URL { layerDir(digest).appendingPathComponent("state") }

    /// A layer ready to assemble from: its files and the state they must still be in.
    struct Cached: Sendable {
        let layer: SlugLayer
        let tree: URL
        let state: LayerState
        /// Whether this call downloaded it.
        let fetched: Bool
    }

    func create() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        guard chmod(dir.path, 0o700) == 0 else { throw RikerError.posix("cannot protect", path: dir.path) }
        try fm.createDirectory(at: layersDir, withIntermediateDirectories: true)
        try fm.createDirectory(at: usesDir, withIntermediateDirectories: true)
    }

    /// `layer` of `release`, unpacked: the cached copy when it is complete, else downloaded.
    /// `group` is the app user whose group may read a sealed layer (nil: the agent's own).
    /// Throws `.deployFailed` when the blob is missing from the store, does not match its digest,
    /// or cannot be unpacked.
    func ensure(_ layer: SlugLayer, of release: Release, group: AppUser?) async throws -> Cached {
        try create()
        let digest = layer.digest
        if let text = try? AtomicFile.read(stateFile(digest)), let state = LayerState(parsing: String(decoding: text, as: UTF8.self)) {
            return Cached(layer: layer, tree: tree(digest), state: state, fetched: false)
        }
        // A dir without its state was left by a crash between rename and write: not trusted.
        try? FileManager.default.removeItem(at: layerDir(digest))

        let download = dir.appendingPathComponent(".download-\(UUID().uuidString.prefix(8))")
        let staging = layersDir.appendingPathComponent(".\(digest.hex.prefix(12))-\(UUID().uuidString.prefix(8))")
        defer {
            try? FileManager.default.removeItem(at: download)
            try? FileManager.default.removeItem(at: staging)
        }
        logger.info("\(release.name): downloading layer \(digest.hex.prefix(12)) (\(layer.role), \(humanSize(layer.size)))")
        do { try await store.fetchBlob(app: release.app, digest, to: download) } catch let e as RikerError where e.code == .notFound {
            throw RikerError(.deployFailed, "\(release.name) needs layer \(digest), which is not in the store \(store.url)")
        }
        let sealed = layer.role == .dependencies
        let state: LayerState = try await Blocking.run {
            do { try SlugArchive.unpack(download, into: staging.appendingPathComponent("tree"), maxBytes: layer.unpackedSize) } catch {
                throw RikerError(.deployFailed, "cannot unpack layer \(digest.hex.prefix(12)) of \(release.name): \(error.userMessage)")
            }
            if sealed { try Self.seal(staging.appendingPathComponent("tree"), group: group) }
            return try LayerTree.state(of: staging.appendingPathComponent("tree"))
        }
        try AtomicFile.write(Data("\(state)\n".utf8), to: staging.appendingPathComponent("state"))
        guard rename(staging.path, layerDir(digest).path) == 0 else {
            // Another install (a one-off run beside the agent) kept the same layer first: use it.
            if let text = try? AtomicFile.read(stateFile(digest)), let kept = LayerState(parsing: String(decoding: text, as: UTF8.self)) {
                return Cached(layer: layer, tree: tree(digest), state: kept, fetched: true)
            }
            throw RikerError.posix("cannot keep layer", path: layerDir(digest).path)
        }
        return Cached(layer: layer, tree: tree(digest), state: state, fetched: true)
    }

    /// Makes every regular file under `root` read-only, readable (and runnable) by `group` as by
    /// its owner, and, when the agent is root, owned by root and `group`.
    static func seal(_ root: URL, group: AppUser?) throws {
        let gid = geteuid() == 0 ? group?.gid : nil
        try LayerTree.walk(root) { entry in
            guard entry.isRegular else { return }
            let mode = entry.info.st_mode & 0o7777
            let sealed = (mode & 0o555) | ((mode & 0o500) >> 3)
            if let gid, lchown(entry.absolute, 0, gid) != 0 { throw RikerError.posix("cannot seal", path: entry.absolute) }
            if chmod(entry.absolute, sealed) != 0 { throw RikerError.posix("cannot seal", path: entry.absolute) }
        }
    }

    /// Forgets a cached layer (found changed): the next `ensure` downloads it again.
    func discard(_ digest: ContentDigest) {
        try? FileManager.default.removeItem(at: layerDir(digest))
    }

    /// Records that release `version` was assembled from `digests`.
    func recordUse(version: Int, digests: [ContentDigest]) throws {
        try create()
        try AtomicFile.write(Data(digests.map { "\($0)\n" }.joined().utf8), to: usesDir.appendingPathComponent("v\(version)"))
    }

    /// Drops the records of releases not in `kept` and every layer no remaining record names,
    /// with what a crash left half done.
    func prune(kept: Set<Int>) {
        let fm = FileManager.default
        var needed = Set<ContentDigest>()
        for name in (try? fm.contentsOfDirectory(atPath: usesDir.path)) ?? [] {
            let file = usesDir.appendingPathComponent(name)
            guard let version = parseVersion(name), kept.contains(version) else {
                try? fm.removeItem(at: file)
                continue
            }
            let text = (try? AtomicFile.read(file)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            needed.formUnion(text.split(whereSeparator: \.isNewline).compactMap { try? ContentDigest(parsing: String($0)) })
        }
        for name in (try? fm.contentsOfDirectory(atPath: layersDir.path)) ?? [] where ContentDigest(hex: name).map(needed.contains) != true {
            logger.info("removing cached layer \(name.prefix(12))")
            try? fm.removeItem(at: layersDir.appendingPathComponent(name))
        }
        removeStaging()
    }

    /// Removes downloads and staging dirs a previous agent left when it died.
    func removeStaging() {
        let fm = FileManager.default
        for (folder, prefix) in [(dir, ".download-"), (layersDir, ".")] {
            for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
                try? fm.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}
