import Foundation
import RikerArchive
import RikerCore

/// An app's slug workspace (`ROOT/slugs/APP`), kept between builds so an unchanged
/// dependencies layer is not packed twice:
///
/// ```
/// blobs/sha256/HEX   layers and manifests of the last few builds (zstd tars, JSON)
/// memo/KEY           "sha256:HEX SIZE UNPACKED": the layer packed from the inputs KEY names
/// recent             manifest digests of the last few builds, newest last
/// ```
///
/// KEY hashes a fingerprinted layer's name, fingerprint (`SlugLayerPlan`) and the metadata
/// of its files (`SlugTree.metadataDigest`): when a buildpack restores its cache the same way
/// again, KEY is the same and the layer packed last time is used, its files not even read.
/// Layers without a fingerprint, and the app layer, are packed every build; packing is
/// deterministic, so the same files still give the same digest and the store is not sent them
/// twice. The workspace is Riker's alone (0700): builds cannot forge a memo.
public struct SlugWorkspace: Sendable {
    public let dir: URL
    /// How many builds' blobs stay in `blobs/`.
    public var keepBuilds = 3
    /// Bump when the layer format changes, so no memo made for another format is used.
    static let format = "riker-slug-layer v1 pax zstd-3"

    public init(dir: URL) { self.dir = dir }

    var lockFile: URL { dir.appendingPathComponent(".lock") }
    var blobs: URL { dir.appendingPathComponent("blobs/sha256") }
    var memoDir: URL { dir.appendingPathComponent("memo") }
    var recentFile: URL { dir.appendingPathComponent("recent") }
    func blob(_ d: ContentDigest) -> URL { blobs.appendingPathComponent(d.hex) }

    /// What packing a build dir gave.
    public struct Packed: Sendable {
        public var manifest: SlugManifest
        public var manifestDigest: ContentDigest
        /// The layers packed by this build, and those taken from an earlier one.
        public var packed: [SlugLayer]
        public var reused: [SlugLayer]
        /// Layers, then the manifest: the order to upload them in, so a stored manifest's layers are all there.
        public var blobs: [ContentDigest] { manifest.layers.map(\.digest) + [manifestDigest] }
    }

    /// Splits `buildDir` into layers (see `SlugLayerPlan`) and writes each one the workspace has
    /// not packed from the same inputs, then the manifest. Every blob the slug needs ends up in
    /// `layout/blobs/sha256/` (hard links where possible), for `ReleaseStore.pushBlobs`, so a
    /// later build's pruning cannot take them away before they are uploaded.
    ///
    /// `limits` applies to the whole slug, as for a single archive. Throws as `SlugArchive.pack`
    /// does, and `.buildFailed` for a malformed `.riker/layers`.
    public func pack(buildDir: URL, layout: URL, limits: SlugLimits) throws -> Packed {
        let fm = FileManager.default
        let outBlobs = layout.appendingPathComponent("blobs/sha256")
        try fm.createDirectory(at: outBlobs, withIntermediateDirectories: true)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        try fm.createDirectory(at: memoDir, withIntermediateDirectories: true)

        let tree = try PhaseTrace.measure("pack.scan") { try SlugTree.scan(buildDir, exclude: { $0 == SlugLayerPlan.file }, limits: limits) }
        let plan = try SlugLayerPlan.read(buildDir: buildDir, present: tree.topLevelNames)
        var layers: [SlugLayer] = [], packed: [SlugLayer] = [], reused: [SlugLayer] = []
        var memos: [(key: String, layer: SlugLayer)] = []
        for dependency in plan.dependencies {
            let part = tree.subset(topLevel: [dependency.name], keep: true)
            let key = PhaseTrace.measure("pack.memo-key") { dependency.fingerprint.map { memoKey(name: dependency.name, fingerprint: $0, tree: part) } }
            if let key, let known = memo(key), (try? link(blob(known.digest), to: outBlobs.appendingPathComponent(known.digest.hex))) != nil {
                var layer = known
                layer.paths = [dependency.name]
                layers.append(layer)
                reused.append(layer)
                continue
            }
            let layer = try PhaseTrace.measure("pack.dependencies-layer") {
                try packLayer(part, role: .dependencies, paths: [dependency.name], into: outBlobs, limits: limits)
            }
            layers.append(layer)
            packed.append(layer)
            if let key { memos.append((key, layer)) }
        }
        let app = tree.subset(topLevel: Set(plan.dependencies.map(\.name)), keep: false)
        let appLayer = try PhaseTrace.measure("pack.app-layer") { try packLayer(app, role: .app, paths: nil, into: outBlobs, limits: limits) }
        layers.append(appLayer)
        packed.append(appLayer)

        let manifest = SlugManifest(layers: layers)
        let data = try manifest.encoded()
        let manifestDigest = ContentDigest.of(data)
        try AtomicFile.write(data, to: outBlobs.appendingPathComponent(manifestDigest.hex), mode: 0o644)

        // Only the bookkeeping shared with other builds of the app is done under the lock.
        let bookkeepingStart = ContinuousClock.now
        defer { PhaseTrace.end("pack.bookkeeping", since: bookkeepingStart) }
        try FileLock.withLock(lockFile) {
            for digest in layers.map(\.digest) + [manifestDigest] {
                try link(outBlobs.appendingPathComponent(digest.hex), to: blob(digest))
            }
            for (key, layer) in memos {
                try AtomicFile.write(Data("\(layer.digest) \(layer.size) \(layer.unpackedSize)\n".utf8), to: memoDir.appendingPathComponent(key))
            }
            try remember(manifestDigest)
            prune()
        }
        return Packed(manifest: manifest, manifestDigest: manifestDigest, packed: packed, reused: reused)
    }

    /// The memo key of a fingerprinted layer: its inputs, hashed.
    func memoKey(name: String, fingerprint: String, tree: SlugTree) -> String {
        let text = "\(Self.format)\n\(name)\n\(fingerprint)\n\(tree.metadataDigest())\n"
        return ContentDigest.of(Data(text.utf8)).hex
    }

    /// The layer packed earlier from the inputs `key`, if remembered and its blob is still here.
    func memo(_ key: String) -> SlugLayer? {
        guard let data = try? AtomicFile.read(memoDir.appendingPathComponent(key)) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard parts.count == 3, let digest = try? ContentDigest(parsing: String(parts[0])),
              let size = Int64(parts[1]), let unpacked = Int64(parts[2]),
              FileManager.default.fileExists(atPath: blob(digest).path) else { return nil }
        return SlugLayer(digest: digest, size: size, unpackedSize: unpacked, role: .dependencies)
    }

    /// Packs one layer into `dir`, named by its digest.
    private func packLayer(_ tree: SlugTree, role: SlugLayer.Role, paths: [String]?, into dir: URL, limits: SlugLimits) throws -> SlugLayer {
        let tmp = dir.appendingPathComponent(".layer-\(UUID().uuidString.prefix(8)).tar.zst")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let slug = try SlugArchive.pack(tree, to: tmp, compression: .zstd, limits: limits)
        guard let digest = ContentDigest(hex: slug.sha256) else { throw RikerError(.io, "bad digest of \(tmp.path)") }
        let target = dir.appendingPathComponent(digest.hex)
        if rename(tmp.path, target.path) != 0 { throw RikerError.posix("cannot store layer", path: target.path) }
        return SlugLayer(digest: digest, size: slug.size, unpackedSize: slug.unpackedSize, role: role, paths: paths)
    }

    /// Adds `manifest` to `recent`, keeping the last `keepBuilds`.
    private func remember(_ manifest: ContentDigest) throws {
        var list = recent().filter { $0 != manifest }
        list.append(manifest)
        try AtomicFile.write(Data(list.suffix(keepBuilds).map { "\($0)\n" }.joined().utf8), to: recentFile)
    }

    func recent() -> [ContentDigest] {
        guard let data = try? AtomicFile.read(recentFile) else { return [] }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { try? ContentDigest(parsing: String($0)) }
    }

    /// Removes the blobs no recent build's manifest names, and the memos of removed blobs.
    private func prune() {
        let fm = FileManager.default
        var needed = Set<ContentDigest>()
        for m in recent() {
            guard let data = try? AtomicFile.read(blob(m)), let manifest = try? OCI.decode(SlugManifest.self, from: data, what: "slug manifest") else { continue }
            needed.insert(m)
            needed.formUnion(manifest.layers.map(\.digest))
        }
        for name in (try? fm.contentsOfDirectory(atPath: blobs.path)) ?? [] where ContentDigest(hex: name).map(needed.contains) != true {
            try? fm.removeItem(at: blobs.appendingPathComponent(name))
        }
        for name in (try? fm.contentsOfDirectory(atPath: memoDir.path)) ?? [] where memo(name) == nil {
            try? fm.removeItem(at: memoDir.appendingPathComponent(name))
        }
    }

    /// Hard-links `source` to `target` (copies across file systems); an existing target is kept.
    private func link(_ source: URL, to target: URL) throws {
        if FileManager.default.fileExists(atPath: target.path) { return }
        if Glibc.link(source.path, target.path) == 0 || errno == EEXIST { return }
        do { try FileManager.default.copyItem(at: source, to: target) } catch {
            throw RikerError(.io, "cannot copy \(source.path) to \(target.path): \(error.localizedDescription)")
        }
    }
}
