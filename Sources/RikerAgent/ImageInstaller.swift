import Foundation
import Logging
import RikerArchive
import RikerCore
import RikerRelease

/// An image release made ready to run: in the engine's store, tagged for this agent.
struct InstalledImage: Sendable {
    let engine: ContainerEngine
    /// The image ID (the config digest's hex), what `podman run` is given.
    let imageID: String
    /// `releases/vN`: holds the release's env files and the `.riker-image` marker.
    let directory: URL
    /// This agent's tag namespace and container label.
    let agentKey: String
}

/// Gets an image release into the container engine, the image counterpart of `ReleaseInstaller`:
/// blobs the agent lacks are downloaded into a local OCI image layout (`DIR/images`), each
/// checked against its SHA-256, and the image is loaded from there. An image the engine
/// already has (the local target shares the server's store) moves nothing.
///
/// Images are tagged `localhost/riker-agent/KEY:vN` (KEY is this agent's, from its directory),
/// so pruning removes only what this agent put there; containers carry the label
/// `riker.agent=KEY`, so a successor can remove what a crashed agent left running.
struct ImageInstaller: Sendable {
    let store: any ReleaseStore
    let paths: AgentDirectory
    let logger: Logger
    /// podman's `--root`: the agent's own `DIR/containers`, or one the caller shares (the local
    /// target passes the server's, so images it built need no transfer).
    let storage: URL
    /// Where podman (or docker) is looked for.
    var enginePath = ContainerEngine.standardPath

    /// Name of the file, in `releases/vN`, that says which image the release runs (written last).
    static let marker = ".riker-image"

    init(store: any ReleaseStore, paths: AgentDirectory, logger: Logger, storage: URL? = nil) {
        self.store = store; self.paths = paths; self.logger = logger
        self.storage = storage ?? paths.dir.appendingPathComponent("containers")
    }

    /// The local OCI image layout holding the blobs of kept image releases.
    var layout: URL { paths.dir.appendingPathComponent("images") }

    /// This agent's tag namespace: stable for its directory.
    var agentKey: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in paths.dir.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(format: "%012llx", hash & 0xffff_ffff_ffff)
    }

    func tag(_ version: Int) -> String { "localhost/riker-agent/\(agentKey):v\(version)" }

    /// The engine, or `.deployFailed` saying why this host cannot run images: no podman nor
    /// docker, or podman with an agent that is not root.
    func engine(for release: Release) throws -> ContainerEngine {
        let engine: ContainerEngine
        do { engine = try ContainerEngine.detect(storage: storage, path: enginePath) } catch {
            throw RikerError(.deployFailed, "cannot run \(release.name) (a Dockerfile image) on this host: \(error.userMessage)")
        }
        if let problem = Self.privilegeProblem(engine, euid: geteuid()) {
            throw RikerError(.deployFailed, "cannot run \(release.name) (a Dockerfile image) on this host: \(problem)")
        }
        return engine
    }

    /// Riker runs podman rootful only (DESIGN.md §8): an agent that is not root says how to fix it
    /// rather than fail inside podman. docker needs no more than access to its daemon.
    static func privilegeProblem(_ engine: ContainerEngine, euid: uid_t) -> String? {
        guard engine.kind == .podman, euid != 0 else { return nil }
        let user = getpwuid(euid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(euid)"
        return "riker-agent runs as \(user) and podman needs root: install the agent with images enabled "
            + "(deploy/install-agent.sh --images, or RIKER_IMAGES=yes in deploy/user-data.sh)"
    }

    /// Makes `release`'s image runnable here. Throws `.deployFailed` when a blob is missing from
    /// the store or corrupt, when the engine refuses the image, or when there is no engine.
    func install(_ release: Release) async throws -> InstalledImage {
        guard let image = release.image else {
            throw RikerError(.invalidInput, "\(release.name) of \(release.app) is not an image release")
        }
        let engine = try engine(for: release)
        // The engine's commands block for as long as they run: on threads of their own.
        let present = try await Blocking.run { try engine.prepare(); return imageExists(image.config, engine: engine) }
        let dir = paths.release(release.version)
        if !present {
            try await fetch(image, release: release)
            try await Blocking.run { try load(image, engine: engine, release: release) }
        } else {
            logger.info("image of \(release.name) (\(image.config.hex.prefix(12))) is already in the engine's store")
        }
        let tag = tag(release.version)
        do { try await Blocking.run { _ = try engine.run(["tag", image.config.hex, tag], timeout: 120) } } catch {
            throw RikerError(.deployFailed, "cannot tag the image of \(release.name): \(error.userMessage)")
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try AtomicFile.write(Data("\(image.manifest) \(image.config)\n".utf8), to: dir.appendingPathComponent(Self.marker))
        return InstalledImage(engine: engine, imageID: image.config.hex, directory: dir, agentKey: agentKey)
    }

    func imageExists(_ config: ContentDigest, engine: ContainerEngine) -> Bool {
        (try? engine.run(["image", "inspect", "--format", "{{.Id}}", config.hex], timeout: 60)) != nil
    }

    /// Downloads the manifest, config and layers the local layout lacks (or holds corrupt).
    /// The layout is the agent's alone (0700): an image config records the values of the
    /// build args its RUN steps used, and slug processes may run on this host too.
    private func fetch(_ image: ImageArtifact, release: Release) async throws {
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard chmod(layout.path, 0o700) == 0 else { throw RikerError.posix("cannot protect", path: layout.path) }
        let manifestData = try await blob(image.manifest, release: release)
        let manifest = try OCI.decode(OCIManifest.self, from: manifestData, what: "the image manifest of \(release.name)")
        guard manifest.config.digest == image.config else {
            throw RikerError(.deployFailed, "the manifest of \(release.name) names config \(manifest.config.digest), not \(image.config)")
        }
        var fetched = 0, bytes: Int64 = 0
        for descriptor in manifest.blobs {
            if try await ensure(descriptor.digest, release: release) { fetched += 1; bytes += descriptor.size }
        }
        try addToIndex(OCIDescriptor(mediaType: OCI.manifestMediaType, digest: image.manifest, size: Int64(manifestData.count),
                                     annotations: [OCI.refName: image.manifest.hex]))
        logger.info("\(release.name): fetched \(fetched) of \(manifest.blobs.count) blobs (\(humanSize(bytes)))")
    }

    /// The bytes of a small blob, from the layout if intact, else from the store (and kept).
    private func blob(_ digest: ContentDigest, release: Release) async throws -> Data {
        _ = try await ensure(digest, release: release)
        guard let data = try AtomicFile.read(blobFile(digest)) else { throw RikerError.posix("cannot read", path: blobFile(digest).path) }
        return data
    }

    /// Makes sure the layout holds `digest` intact; returns true when it had to download it.
    private func ensure(_ digest: ContentDigest, release: Release) async throws -> Bool {
        let file = blobFile(digest)
        let fm = FileManager.default
        if fm.fileExists(atPath: file.path) {
            if (try? SlugArchive.sha256(of: file)) == digest.hex { return false }
            logger.warning("cached blob \(digest) is corrupt: fetching it again")
            try? fm.removeItem(at: file)
        }
        try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let tmp = file.deletingLastPathComponent().appendingPathComponent(".download-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: tmp) }
        do { try await store.fetchBlob(app: release.app, digest, to: tmp) } catch let e as RikerError where e.code == .notFound {
            throw RikerError(.deployFailed, "\(release.name) needs blob \(digest), which is not in the store \(store.url)")
        }
        guard rename(tmp.path, file.path) == 0 else { throw RikerError.posix("cannot keep blob", path: file.path) }
        return true
    }

    private func blobFile(_ digest: ContentDigest) -> URL { layout.appendingPathComponent("blobs/sha256").appendingPathComponent(digest.hex) }

    private func index() -> OCIIndex {
        guard let data = try? AtomicFile.read(layout.appendingPathComponent("index.json")),
              let index = try? OCI.decode(OCIIndex.self, from: data, what: "index.json") else { return OCIIndex(manifests: []) }
        return index
    }

    private func addToIndex(_ descriptor: OCIDescriptor) throws {
        var index = index()
        index.manifests.removeAll { $0.digest == descriptor.digest }
        index.manifests.append(descriptor)
        try AtomicFile.write(try OCI.encode(index), to: layout.appendingPathComponent("index.json"))
        try AtomicFile.write(Data(OCI.layoutVersion.utf8), to: layout.appendingPathComponent("oci-layout"))
    }

    /// Loads the image from the layout into the engine, and drops the name the engine gives it
    /// after the layout's path (the agent's own tag is added by the caller).
    private func load(_ image: ImageArtifact, engine: ContainerEngine, release: Release) throws {
        do {
            switch engine.kind {
            case .podman:
                // podman names an image pulled from `oci:PATH` after PATH, which must then be a
                // valid (lowercase) image name: it is given a link with such a name to pull through.
                let link = ContainerEngine.runroot(for: storage).appendingPathComponent("riker-oci-\(agentKey)")
                try? FileManager.default.removeItem(at: link)
                try FileManager.default.createSymbolicLink(at: link, withDestinationURL: layout)
                try engine.run(["pull", "--quiet", "oci:\(link.path):\(image.manifest.hex)"], timeout: 1800)
                _ = try? engine.run(["untag", image.config.hex, "localhost\(link.path):latest"], timeout: 60)
            case .docker:
                let archive = paths.dir.appendingPathComponent(".image-\(UUID().uuidString.prefix(8)).tar")
                defer { try? FileManager.default.removeItem(at: archive) }
                // docker (25 and later) loads an OCI image layout from a tar archive.
                let (out, status) = try ProcessRunner.capture(ProcessSpec("/bin/tar", ["-cf", archive.path, "-C", layout.path, "."],
                                                                          environment: ["PATH": "/usr/bin:/bin"]), timeout: 600)
                guard status.succeeded else { throw RikerError(.io, "cannot archive the image layout: \(out)") }
                try engine.run(["load", "--quiet", "--input", archive.path], timeout: 1800)
            }
        } catch {
            throw RikerError(.deployFailed, "\(engine.name) cannot load the image of \(release.name): \(error.userMessage)")
        }
    }

    // MARK: - Cleanup

    /// Keeps the images of the newest `keep` release dirs (and of `protected`), the same rule
    /// as `ReleaseInstaller.prune`: other releases lose this agent's tag (the engine removes an
    /// image when no tag and no container holds it), and blobs no kept image needs are deleted.
    func prune(keep: Int, protected: Set<Int>) {
        let fm = FileManager.default
        let versions = ((try? fm.contentsOfDirectory(atPath: paths.releases.path)) ?? []).compactMap(parseVersion).sorted(by: >)
        let kept = Set(versions.prefix(keep)).union(protected)
        var manifests = Set<ContentDigest>(), configs = Set<ContentDigest>()
        for v in kept {
            guard let (m, c) = Self.markedImage(in: paths.release(v)) else { continue }
            manifests.insert(m); configs.insert(c)
        }
        var needed = manifests
        for m in manifests {
            guard let data = try? AtomicFile.read(blobFile(m)), let manifest = try? OCI.decode(OCIManifest.self, from: data, what: "manifest") else { continue }
            needed.formUnion(manifest.blobs.map(\.digest))
        }
        let blobDir = layout.appendingPathComponent("blobs/sha256")
        for name in (try? fm.contentsOfDirectory(atPath: blobDir.path)) ?? [] where ContentDigest(hex: name).map(needed.contains) != true {
            try? fm.removeItem(at: blobDir.appendingPathComponent(name))
        }
        var index = index()
        if !index.manifests.isEmpty {
            index.manifests.removeAll { !manifests.contains($0.digest) }
            try? AtomicFile.write(try OCI.encode(index), to: layout.appendingPathComponent("index.json"))
        }

        guard let engine = try? ContainerEngine.detect(storage: storage, path: enginePath),
              let listing = try? engine.run(["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=localhost/riker-agent/\(agentKey)"], timeout: 60)
        else { return }
        for name in listing.split(whereSeparator: \.isNewline).map(String.init) {
            guard let v = name.split(separator: ":").last.flatMap({ parseVersion(String($0)) }), !kept.contains(v) else { continue }
            logger.info("removing the image of old release v\(v)")
            _ = try? engine.run(["rmi", name], timeout: 120)
        }
    }

    /// The manifest and config an installed release dir runs, from its marker.
    static func markedImage(in dir: URL) -> (ContentDigest, ContentDigest)? {
        guard let data = try? AtomicFile.read(dir.appendingPathComponent(marker)) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let m = try? ContentDigest(parsing: String(parts[0])), let c = try? ContentDigest(parsing: String(parts[1])) else { return nil }
        return (m, c)
    }

    /// Removes containers a previous agent on this directory left running (it died without
    /// stopping them). Call at start, beside `ProcessRegistry.killLeftovers`. No engine: nothing to do.
    func removeLeftovers() {
        guard let engine = try? ContainerEngine.detect(storage: storage, path: enginePath),
              let ids = try? engine.run(["ps", "--all", "--quiet", "--filter", "label=riker.agent=\(agentKey)"], timeout: 60)
        else { return }
        let list = ids.split(whereSeparator: \.isNewline).map(String.init)
        guard !list.isEmpty else { return }
        logger.warning("removing \(list.count) container(s) left behind by a previous agent")
        _ = try? engine.run(["rm", "--force"] + (engine.kind == .podman ? ["--time", "5"] : []) + list, timeout: 120)
    }
}
