import Foundation
import RikerArchive
import RikerCore

/// An app's image export directory (`ROOT/images/APP`), kept between builds so an unchanged
/// layer is neither exported, compressed nor hashed twice:
///
/// ```
/// engine/            OCI layout the engine writes, layers uncompressed (latest image only)
/// blobs/sha256/HEX   store-ready blobs of the last few builds: zstd layers, configs, manifests
/// layers/DIFF_ID     "sha256:HEX SIZE": the zstd blob made from the uncompressed layer DIFF_ID
/// recent             manifest digests of the last few builds, newest last
/// ```
///
/// podman writes only the layers `engine/` lacks, so a build that changed one layer exports
/// one layer. Each new layer is compressed once (zstd), and the image's manifest is rewritten
/// to name the compressed blobs. Callers hold `lock` while exporting (two envs of one app may build at once).
struct ImageWorkspace {
    let dir: URL
    /// How many builds' blobs stay in `blobs/` (a rebuild of one of them compresses nothing).
    var keepBuilds = 3

    var lockFile: URL { dir.appendingPathComponent(".lock") }
    var engineLayout: URL { dir.appendingPathComponent("engine") }
    var blobs: URL { dir.appendingPathComponent("blobs/sha256") }
    var layerMemo: URL { dir.appendingPathComponent("layers") }
    var recentFile: URL { dir.appendingPathComponent("recent") }

    func blob(_ d: ContentDigest) -> URL { blobs.appendingPathComponent(d.hex) }
    func engineBlob(_ d: ContentDigest) -> URL { engineLayout.appendingPathComponent("blobs/sha256").appendingPathComponent(d.hex) }

    /// What an export produced: the store-ready manifest and the blobs it names.
    struct Export {
        var manifest: ContentDigest
        var manifestSize: Int64
        var config: ContentDigest
        var configSize: Int64
        var imageConfig: OCIImageConfig
        var layers: [OCIDescriptor]
        /// Layers compressed by this export (the rest were reused), and their compressed bytes.
        var compressed: Int
        var compressedBytes: Int64
        /// Bytes of all the image's blobs.
        var size: Int64 { layers.reduce(manifestSize + configSize) { $0 + $1.size } }
        /// Layers, config, manifest: the order to upload them in, so a stored manifest's blobs are all there.
        var blobs: [ContentDigest] { layers.map(\.digest) + [config, manifest] }
    }

    /// Turns the image named `ref` in `engine/` into store-ready blobs in `blobs/`.
    func makeStoreReady(ref: String, deadline: Date) throws -> Export {
        let fm = FileManager.default
        try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        try fm.createDirectory(at: layerMemo, withIntermediateDirectories: true)
        let (engineManifest, _) = try engineManifest(named: ref)
        let configData = try readBlob(engineBlob(engineManifest.config.digest), what: "image config")
        let imageConfig = try OCI.decode(OCIImageConfig.self, from: configData, what: "the image config")
        try link(engineBlob(engineManifest.config.digest), to: blob(engineManifest.config.digest))

        var layers: [OCIDescriptor] = []
        var compressed = 0, compressedBytes: Int64 = 0
        for layer in engineManifest.layers {
            guard OCI.isUncompressedLayer(layer.mediaType) else {
                // Already compressed (an imported or docker-saved layer): stored as it is.
                try link(engineBlob(layer.digest), to: blob(layer.digest))
                layers.append(OCIDescriptor(mediaType: layer.mediaType, digest: layer.digest, size: layer.size))
                continue
            }
            if let known = memo(layer.digest), fm.fileExists(atPath: blob(known.digest).path) {
                layers.append(known)
                continue
            }
            let made = try compress(engineBlob(layer.digest), deadline: deadline)
            try AtomicFile.write(Data("\(made.digest) \(made.size)\n".utf8), to: layerMemo.appendingPathComponent(layer.digest.hex))
            layers.append(made)
            compressed += 1
            compressedBytes += made.size
        }

        let configDescriptor = OCIDescriptor(mediaType: OCI.configMediaType, digest: engineManifest.config.digest, size: Int64(configData.count))
        let manifestData = try OCI.encode(OCIManifest(config: configDescriptor, layers: layers))
        let manifest = try store(manifestData)
        try remember(manifest)
        return Export(manifest: manifest, manifestSize: Int64(manifestData.count), config: engineManifest.config.digest,
                      configSize: Int64(configData.count), imageConfig: imageConfig, layers: layers, compressed: compressed, compressedBytes: compressedBytes)
    }

    /// Writes an OCI image layout at `dir` holding `export`'s blobs (hard links to `blobs/`), so the
    /// caller's copy outlives a prune by a later build.
    func writeLayout(_ export: Export, to out: URL, ref: String) throws {
        let outBlobs = out.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: outBlobs, withIntermediateDirectories: true)
        for d in export.blobs { try link(blob(d), to: outBlobs.appendingPathComponent(d.hex)) }
        let index = OCIIndex(manifests: [OCIDescriptor(mediaType: OCI.manifestMediaType, digest: export.manifest,
                                                       size: export.manifestSize, annotations: [OCI.refName: ref])])
        try AtomicFile.write(try OCI.encode(index), to: out.appendingPathComponent("index.json"))
        try AtomicFile.write(Data(OCI.layoutVersion.utf8), to: out.appendingPathComponent("oci-layout"))
    }

    // MARK: - Pieces

    /// The manifest named `ref` in `engine/index.json` (or its only manifest, for a fresh layout).
    func engineManifest(named ref: String) throws -> (OCIManifest, OCIDescriptor) {
        let indexData = try readBlob(engineLayout.appendingPathComponent("index.json"), what: "the exported image index")
        let index = try OCI.decode(OCIIndex.self, from: indexData, what: "the exported image index")
        guard let descriptor = index.manifest(named: ref) ?? (index.manifests.count == 1 ? index.manifests.first : nil) else {
            throw RikerError(.buildFailed, "the exported image index has no image named \(ref)")
        }
        var manifestDescriptor = descriptor
        if descriptor.mediaType == OCI.indexMediaType {
            // A multi-platform index (docker's save): take its first image.
            let nested = try OCI.decode(OCIIndex.self, from: try readBlob(engineBlob(descriptor.digest), what: "image index"), what: "an image index")
            guard let first = nested.manifests.first else { throw RikerError(.buildFailed, "the exported image index is empty") }
            manifestDescriptor = first
        }
        let data = try readBlob(engineBlob(manifestDescriptor.digest), what: "image manifest")
        return (try OCI.decode(OCIManifest.self, from: data, what: "the exported image manifest"), manifestDescriptor)
    }

    /// The compressed blob made earlier from the uncompressed layer `diffID`, if remembered.
    func memo(_ diffID: ContentDigest) -> OCIDescriptor? {
        guard let data = try? AtomicFile.read(layerMemo.appendingPathComponent(diffID.hex)) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let d = try? ContentDigest(parsing: String(parts[0])), let size = Int64(parts[1]) else { return nil }
        return OCIDescriptor(mediaType: OCI.layerZstd, digest: d, size: size)
    }

    /// Compresses one uncompressed layer with zstd into `blobs/`, named by the result's digest.
    private func compress(_ layer: URL, deadline: Date) throws -> OCIDescriptor {
        let tmp = blobs.appendingPathComponent(".zstd-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: tmp) }
        // -T0 uses every core; zstd's multi-threaded output does not depend on the thread count.
        let spec = ProcessSpec("zstd", ["-q", "-3", "-T0", "--no-progress", "-f", layer.path, "-o", tmp.path],
                               environment: ["PATH": BuildSandbox.path])
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw RikerError(.timeout, "no time left to compress image layers") }
        let (out, status): (String, ExitStatus)
        do { (out, status) = try ProcessRunner.capture(spec, timeout: remaining) } catch let e as RikerError where e.code == .process {
            throw RikerError(.buildFailed, "cannot compress image layers: \(e.message) (install zstd)")
        }
        guard status.succeeded else { throw RikerError(.buildFailed, "cannot compress image layer \(layer.lastPathComponent): \(out)") }
        let hex = try SlugArchive.sha256(of: tmp)
        guard let digest = ContentDigest(hex: hex) else { throw RikerError(.io, "bad digest of \(tmp.path)") }
        let size = (try FileManager.default.attributesOfItem(atPath: tmp.path)[.size] as? NSNumber)?.int64Value ?? 0
        if rename(tmp.path, blob(digest).path) != 0 { throw RikerError.posix("cannot store", path: blob(digest).path) }
        return OCIDescriptor(mediaType: OCI.layerZstd, digest: digest, size: size)
    }

    /// Stores `data` as a blob named by its digest.
    private func store(_ data: Data) throws -> ContentDigest {
        let tmp = blobs.appendingPathComponent(".blob-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try AtomicFile.write(data, to: tmp)
        guard let digest = ContentDigest(hex: try SlugArchive.sha256(of: tmp)) else { throw RikerError(.io, "bad digest of \(tmp.path)") }
        if rename(tmp.path, blob(digest).path) != 0 { throw RikerError.posix("cannot store", path: blob(digest).path) }
        return digest
    }

    /// Adds `manifest` to `recent`, keeping the last `keepBuilds`.
    private func remember(_ manifest: ContentDigest) throws {
        var list = recent().filter { $0 != manifest }
        list.append(manifest)
        list = Array(list.suffix(keepBuilds))
        try AtomicFile.write(Data(list.map { "\($0)\n" }.joined().utf8), to: recentFile)
    }

    func recent() -> [ContentDigest] {
        guard let data = try? AtomicFile.read(recentFile) else { return [] }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { try? ContentDigest(parsing: String($0)) }
    }

    /// Removes what no recent build needs: `blobs/` and `layers/` entries outside the recent
    /// manifests, and everything in `engine/` but the image named `ref`.
    func prune(keepingEngineImage ref: String) {
        let fm = FileManager.default
        var needed = Set<ContentDigest>()
        for m in recent() {
            guard let data = try? AtomicFile.read(blob(m)), let manifest = try? OCI.decode(OCIManifest.self, from: data, what: "manifest") else { continue }
            needed.insert(m)
            needed.formUnion(manifest.blobs.map(\.digest))
        }
        for name in (try? fm.contentsOfDirectory(atPath: blobs.path)) ?? [] where ContentDigest(hex: name).map(needed.contains) != true {
            try? fm.removeItem(at: blobs.appendingPathComponent(name))
        }
        for name in (try? fm.contentsOfDirectory(atPath: layerMemo.path)) ?? []
        where ContentDigest(hex: name).flatMap(memo).map({ needed.contains($0.digest) }) != true {
            try? fm.removeItem(at: layerMemo.appendingPathComponent(name))
        }
        guard let (manifest, descriptor) = try? engineManifest(named: ref) else { return }
        var descriptorWithName = descriptor
        descriptorWithName.annotations = [OCI.refName: ref]
        try? AtomicFile.write(try OCI.encode(OCIIndex(manifests: [descriptorWithName])), to: engineLayout.appendingPathComponent("index.json"))
        let keep = Set([descriptor.digest] + manifest.blobs.map(\.digest))
        let engineBlobs = engineLayout.appendingPathComponent("blobs/sha256")
        for name in (try? fm.contentsOfDirectory(atPath: engineBlobs.path)) ?? [] where ContentDigest(hex: name).map(keep.contains) != true {
            try? fm.removeItem(at: engineBlobs.appendingPathComponent(name))
        }
    }

    private func readBlob(_ url: URL, what: String) throws -> Data {
        guard let data = try AtomicFile.read(url) else { throw RikerError(.buildFailed, "the exported image lacks its \(what) (\(url.lastPathComponent))") }
        return data
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
