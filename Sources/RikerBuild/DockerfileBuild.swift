import Foundation
import RikerCore

/// What a Dockerfile build needs. The source is already checked out into `buildDir`, the
/// build context.
public struct DockerfileBuildRequest {
    public var app: String
    public var buildDir: URL
    /// The app env's config vars; only those named in `buildArgs` reach the build.
    public var config: [String: String]
    /// Config var names passed as `--build-arg` (see `BuildArgs.parse`).
    public var buildArgs: [String]
    public var network: BuildNetwork
    public var engine: ContainerEngine
    /// The app's export directory, kept between builds (`RikerPaths.imageWorkspace(app)`).
    public var workspace: URL
    /// The build's scratch directory (the caller removes it); the exported layout is written in it.
    public var tmpDir: URL
    /// Whole-build time limit in seconds (engine build, export and compression).
    public var timeout: Double
    public var output: Output

    public init(app: String, buildDir: URL, config: [String: String], buildArgs: [String] = [], network: BuildNetwork = .default,
                engine: ContainerEngine, workspace: URL, tmpDir: URL, timeout: Double = 900, output: Output) {
        self.app = app; self.buildDir = buildDir; self.config = config; self.buildArgs = buildArgs; self.network = network
        self.engine = engine; self.workspace = workspace; self.tmpDir = tmpDir; self.timeout = timeout; self.output = output
    }
}

/// A built image, ready to store: an OCI image layout holding exactly its blobs.
public struct BuiltImage: Sendable {
    /// OCI image layout (`index.json`, `blobs/sha256/HEX`) inside the request's `tmpDir`.
    public var layout: URL
    public var manifest: ContentDigest
    /// The image config's digest (the image ID).
    public var config: ContentDigest
    public var imageConfig: OCIImageConfig
    /// Layers, config and manifest (the order to upload them in): everything the store must hold for this image.
    public var blobs: [ContentDigest]
    /// Bytes of all those blobs.
    public var size: Int64
    /// Procfile types; `web` is `""` (the image's own ENTRYPOINT/CMD) when the Procfile has none.
    public var processTypes: [String: String]
    /// How the release records its builder.
    public var builder: String { "dockerfile" }
}

/// Builds a checked-out app that has a Dockerfile with podman (or docker) and exports the image
/// layer by layer, ready for the content-addressed blob store.
///
/// The engine's output streams to the pusher as 7-space detail lines; a failing step fails the
/// build with the engine's error line. Layers get reproducible timestamps (`--timestamp 0` on
/// podman), so rebuilding unchanged sources, here or on another server, gives the same layers.
public enum DockerfileBuild {
    /// Repository of Riker's own image tags in the engine's store.
    static func repository(_ app: String) -> String { "localhost/riker-build/\(app)" }
    /// Working containers a killed build left behind are removed once older than this.
    static let staleBuildContainerAge: Double = 6 * 3600

    /// Builds and exports. Throws `.buildFailed` with a one-line reason: the engine's own error
    /// line for a failing step, the time limit, an image with nothing to run.
    public static func build(_ request: DockerfileBuildRequest) throws -> BuiltImage {
        let output = request.output, engine = request.engine
        let deadline = Date().addingTimeInterval(request.timeout)
        func remaining() throws -> Double {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw timedOut(request) }
            return left
        }
        let dockerfile = try stageDockerfile(request)
        try engine.prepare()
        tidyEngineStore(engine)

        // A tag of this build's own, to export exactly it; and `latest`, which keeps the app's
        // newest build (its layers are the engine's build cache) from being pruned.
        let tag = "\(repository(request.app)):build-\(UUID().uuidString.prefix(12).lowercased())"
        defer { _ = try? engine.run(engine.kind == .podman ? ["untag", tag, tag] : ["rmi", tag], timeout: 60) }
        var args = ["build", "--file", dockerfile.path, "--tag", tag, "--tag", "\(repository(request.app)):latest", "--force-rm"]
        if engine.kind == .podman { args += ["--layers", "--timestamp", "0"] }
        if request.network == .none { args.append("--network=none") }
        var argValues: [String: String] = [:]
        for name in request.buildArgs {
            guard let value = request.config[name] else { continue }
            args += ["--build-arg", name]
            argValues[name] = value
        }
        args.append(request.buildDir.path)

        output.step("Building \(request.app) from Dockerfile (\(engine.name))")
        if request.network == .none { output.detail("RUN steps have no network (build.network=none)") }
        var tail: [String] = []
        let result = try ProcessRunner.run(engine.spec(args, extraEnv: argValues), timeout: try remaining(),
                                           beforeKill: { ProcessTree.kill(descendantsOf: $0.pid) }) { line in
            output.detail(line)
            tail.append(line)
            if tail.count > 50 { tail.removeFirst() }
        }
        if result.timedOut { throw timedOut(request) }
        guard result.status.succeeded else {
            throw RikerError(.buildFailed, "Dockerfile build failed: \(ContainerEngine.errorLine(tail.joined(separator: "\n")))")
        }

        output.step("Exporting image layers")
        let workspace = ImageWorkspace(dir: request.workspace)
        try FileManager.default.createDirectory(at: workspace.dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let layout = request.tmpDir.appendingPathComponent("image")
        let export: ImageWorkspace.Export
        do {
            export = try FileLock.withLock(workspace.lockFile) {
                try save(tag, engine: engine, into: workspace, scratch: request.tmpDir, timeout: try remaining())
                let export = try workspace.makeStoreReady(ref: tag, deadline: deadline)
                try workspace.writeLayout(export, to: layout, ref: request.app)
                workspace.prune(keepingEngineImage: tag)
                return export
            }
        } catch let e as RikerError where e.code == .timeout {
            throw timedOut(request)
        }
        let reused = export.layers.count - export.compressed
        output.detail("\(export.layers.count) layer\(export.layers.count == 1 ? "" : "s"): "
            + (export.compressed > 0 ? "\(export.compressed) new (\(humanSize(export.compressedBytes)) compressed), " : "")
            + "\(reused) unchanged; image \(humanSize(export.size))")

        let processTypes = try discoverProcessTypes(request, image: export.imageConfig)
        return BuiltImage(layout: layout, manifest: export.manifest, config: export.config, imageConfig: export.imageConfig,
                          blobs: export.blobs, size: export.size, processTypes: processTypes)
    }

    /// Copies the Dockerfile out of the app (refusing a link that leaves it), so the engine,
    /// running as root, never reads a file the pusher chose outside the checkout.
    static func stageDockerfile(_ request: DockerfileBuildRequest) throws -> URL {
        guard let text = try ConfinedFile.read("Dockerfile", in: request.buildDir) else {
            throw RikerError(.buildFailed, "the app has no Dockerfile")
        }
        let staged = request.tmpDir.appendingPathComponent("Dockerfile")
        try AtomicFile.write(Data(text.utf8), to: staged, mode: 0o600)
        return staged
    }

    /// Writes image `tag` into the workspace's engine layout. podman adds only the blobs the
    /// layout lacks; docker's `save` is a whole archive, unpacked into a fresh layout.
    static func save(_ tag: String, engine: ContainerEngine, into workspace: ImageWorkspace, scratch: URL, timeout: Double) throws {
        let fm = FileManager.default
        do {
            switch engine.kind {
            case .podman:
                try engine.run(["save", "--format", "oci-dir", "--uncompressed", "-o", workspace.engineLayout.path, tag], timeout: timeout)
            case .docker:
                let archive = scratch.appendingPathComponent("image.tar")
                defer { try? fm.removeItem(at: archive) }
                try engine.run(["save", "-o", archive.path, tag], timeout: timeout)
                try? fm.removeItem(at: workspace.engineLayout)
                try fm.createDirectory(at: workspace.engineLayout, withIntermediateDirectories: true)
                let (out, status) = try ProcessRunner.capture(ProcessSpec("/bin/tar", ["-xf", archive.path, "-C", workspace.engineLayout.path],
                                                                          environment: ["PATH": BuildSandbox.path]), timeout: timeout)
                guard status.succeeded else { throw RikerError(.process, "cannot unpack the saved image: \(out)") }
            }
        } catch let e as RikerError where e.code == .process {
            throw RikerError(.buildFailed, "cannot export the image: \(e.message)")
        }
    }

    /// The Procfile's types; `web` runs the image's ENTRYPOINT/CMD unless the Procfile names one.
    static func discoverProcessTypes(_ request: DockerfileBuildRequest, image: OCIImageConfig) throws -> [String: String] {
        var types: [String: String] = [:]
        if let text = try ConfinedFile.read("Procfile", in: request.buildDir) {
            do { types = try Procfile(parsing: text).dictionary } catch { throw RikerError(.buildFailed, error.userMessage) }
        }
        let imageCommand = (image.config?.entrypoint ?? []) + (image.config?.cmd ?? [])
        request.output.step("Discovering process types")
        request.output.detail("Procfile declares types -> \(types.isEmpty ? "(none)" : types.keys.sorted().joined(separator: ", "))")
        if types["web"] == nil, !imageCommand.isEmpty {
            types["web"] = ""
            request.output.detail("Image ENTRYPOINT/CMD     -> web")
        }
        guard !types.isEmpty else {
            throw RikerError(.buildFailed, "nothing to run: the image has no ENTRYPOINT or CMD and the app has no Procfile")
        }
        return types
    }

    /// At most once an hour per engine store (podman only): removes working containers that
    /// killed builds left behind, and untagged images (older builds), once they are old enough
    /// that no build still running can own them.
    static func tidyEngineStore(_ engine: ContainerEngine) {
        guard engine.kind == .podman, let storage = engine.storage else { return }
        let stamp = storage.appendingPathComponent("riker-tidied")
        let last = (try? FileManager.default.attributesOfItem(atPath: stamp.path))?[.modificationDate] as? Date
        if let last, Date().timeIntervalSince(last) < 3600 { return }
        try? AtomicFile.write(Data(), to: stamp)
        if let text = try? engine.run(["ps", "--all", "--external", "--format", "json"], timeout: 60),
           let list = try? JSONDecoder().decode([ListedContainer].self, from: Data(text.utf8)) {
            let cutoff = Date().timeIntervalSince1970 - staleBuildContainerAge
            let stale = list.filter { $0.State == "storage" && Double($0.Created ?? 0) < cutoff }.map(\.Id)
            if !stale.isEmpty { _ = try? engine.run(["rm", "--force"] + stale, timeout: 120) }
        }
        _ = try? engine.run(["image", "prune", "--force", "--filter", "until=\(Int(staleBuildContainerAge))s"], timeout: 600)
    }

    private struct ListedContainer: Decodable {
        var Id: String
        var State: String?
        var Created: Int64?
    }

    private static func timedOut(_ request: DockerfileBuildRequest) -> RikerError {
        RikerError(.buildFailed, "build timed out after \(Int(request.timeout.rounded())) s")
    }

}
