import Foundation
import RikerArchive
import RikerBuild
import RikerCore
import RikerGit
import RikerRelease

/// A commit to build and deploy to one app env.
public struct PipelineRequest {
    public var app: String
    public var env: String
    public var commit: String
    public var ref: String
    /// The app's bare repository.
    public var repository: URL
    /// Environment to open the repository with (inside pre-receive: git's quarantine variables).
    public var gitEnvironment: [String: String]
    /// The key name or webhook that asked for it.
    public var createdBy: String
    /// The app's settings, read once by whoever asked (the push, the webhook, the verb).
    public var settings: AppSettings

    public init(app: String, env: String, commit: String, ref: String, repository: URL,
                gitEnvironment: [String: String] = ProcessInfo.processInfo.environment, createdBy: String, settings: AppSettings) {
        self.app = app; self.env = env; self.commit = commit; self.ref = ref; self.repository = repository
        self.gitEnvironment = gitEnvironment; self.createdBy = createdBy; self.settings = settings
    }
}

/// The pipeline behind a push and a webhook: checkout → build → slug → release → deploy.
public struct Pipeline {
    public let paths: RikerPaths
    public let store: any ReleaseStore
    public let output: Output

    public init(paths: RikerPaths, store: any ReleaseStore, output: Output) {
        self.paths = paths; self.store = store; self.output = output
    }

    /// Builds `request.commit` and stores it as a new release. Throws `.buildFailed` with the
    /// reason; nothing is stored then.
    public func buildRelease(_ request: PipelineRequest) async throws -> Release {
        let work = newWorkDir()
        defer { Self.remove(work) }
        return try await buildRelease(request, work: work)
    }

    /// A build's scratch directory (checkout, slug layers), in ROOT/tmp; the caller removes it.
    private func newWorkDir() -> URL { paths.tmpDir.appendingPathComponent("build-\(UUID().uuidString.prefix(12))") }

    /// Removes a build's scratch directory: thousands of files once dependencies are installed,
    /// which can take a few hundred milliseconds on a busy disk.
    private static func remove(_ work: URL) {
        let start = ContinuousClock.now
        try? FileManager.default.removeItem(at: work)
        PhaseTrace.end("build.cleanup", since: start)
    }

    /// Builds `request.commit` in `work`, which it leaves behind.
    private func buildRelease(_ request: PipelineRequest, work: URL) async throws -> Release {
        let app = request.app, env = request.env
        let build = try BuildSettings(request.settings, env: env)
        try Self.openForBuildUser(paths)
        let buildDir = work.appendingPathComponent("app")
        try FileManager.default.createDirectory(at: buildDir, withIntermediateDirectories: true)

        let short = String(request.commit.prefix(7))
        output.step("Building \(app) (\(env)) from \(short)")
        // Checkout, build and pack block their thread for seconds to minutes: each runs on a
        // thread of its own, never on the cooperative pool.
        let summary = try await PhaseTrace.measure("build.checkout") {
            try await Blocking.run { [request] in
                let repo = try GitRepository.open(request.repository, environment: request.gitEnvironment)
                try repo.checkout(commit: request.commit, to: buildDir)
                return (try? repo.summary(of: request.commit)) ?? ""
            }
        }

        let config = try await PhaseTrace.measure("build.config") { try await store.config(app, env).vars }
        output.mask(config.values)
        let built: Artifact
        switch Builder.kind(buildDir: buildDir, config: config) {
        case .dockerfile:
            let manifest = try BuiltAppFiles.manifest(in: buildDir)
            let image = try await buildAndStoreImage(app: app, buildDir: buildDir, workDir: work, config: config, settings: build)
            built = Artifact(builder: image.builder, processTypes: image.processTypes, key: image.artifact, sha256: image.sha256,
                             size: image.size, image: image.image, manifest: manifest)
        case .buildpacks:
            built = try await buildSlug(request, buildDir: buildDir, work: work, config: config, settings: build)
        }
        let releaseStart = ContinuousClock.now
        defer { PhaseTrace.end("build.create-release", since: releaseStart) }
        let (formation, notes) = try await formation(of: built, app: app, env: env, order: BuiltAppFiles.procfileOrder(in: buildDir))
        let release = try await store.createRelease(Release(
            version: 0, app: app, env: env, commit: request.commit, ref: request.ref, builder: built.builder,
            processTypes: built.processTypes, artifact: built.key, sha256: built.sha256, size: built.size,
            config: config, createdBy: request.createdBy,
            description: "Deploy \(short)" + (summary.isEmpty ? "" : ": \(summary.prefix(72))"), image: built.image,
            unpackedSize: built.unpackedSize, formation: formation, manifest: built.manifest, layers: built.layers))
        output.step("Released \(release.name) (\(short))")
        FormationNotes.print(release, notes: notes, output: output)
        return release
    }

    /// The formation of a new build: the current release's, carried over; for the app env's
    /// first release, the defaults with app.json's `formation`.
    private func formation(of built: Artifact, app: String, env: String, order: [String]) async throws -> (Formation, [String]) {
        if let current = try await store.current(app, env).version, let previous = try await store.release(app, env, current) {
            return (Formation.carried(from: previous.effectiveFormation, processTypes: built.processTypes, order: order), [])
        }
        return Formation.initial(processTypes: built.processTypes, order: order, manifest: built.manifest)
    }

    /// What a build stored: the fields of the release that come from its artifact.
    struct Artifact {
        var builder: String
        var processTypes: [String: String]
        var key: String
        var sha256: String
        var size: Int64
        var image: ImageArtifact?
        var manifest: AppManifest?
        /// A slug's unpacked size (the agent's cap when unpacking it).
        var unpackedSize: Int64? = nil
        /// A layered slug's layers.
        var layers: [SlugLayer]? = nil
    }

    /// Compiles `buildDir` with buildpacks and stores it as a slug (unless an identical one is stored).
    private func buildSlug(_ request: PipelineRequest, buildDir: URL, work: URL, config: [String: String], settings: BuildSettings) async throws -> Artifact {
        let buildRequest = BuildRequest(
            app: request.app, env: request.env, buildDir: buildDir, cacheDir: paths.buildCache(request.app), config: config,
            builtinBuildpacks: Installation.builtinBuildpacks, buildpackCache: paths.buildpacksCache,
            tmpDir: work, timeout: settings.timeout, output: output, sourceVersion: request.commit,
            user: try buildUser(request.app), trustedBuildpackDirs: ServerConfig.buildpackDirs(paths))
        // Packing counts against the build's time limit, and the slug against build.max_slug_mb.
        let limits = SlugLimits(
            maxBytes: settings.maxSlugBytes, limitName: "build.max_slug_mb=\(settings.maxSlugMB)",
            raiseHint: "raise it with apps:set \(request.app) build.max_slug_mb=N",
            deadline: Date().addingTimeInterval(settings.timeout),
            deadlineName: "the build time limit (build.timeout_seconds=\(Int(settings.timeout.rounded())))")
        let result = try await PhaseTrace.measure("build.buildpacks") { try await Blocking.run { try Builder.build(buildRequest) } }

        output.step("Compressing...")
        if settings.layeredSlugs {
            let slug = try await storeLayeredSlug(request, buildDir: buildDir, work: work, limits: limits)
            return Artifact(builder: result.builder, processTypes: result.processTypes, key: slug.key, sha256: slug.sha256, size: slug.size,
                            image: nil, manifest: result.manifest, unpackedSize: slug.unpackedSize, layers: slug.layers)
        }
        let slug: PackedSlug
        do {
            slug = try await Blocking.run {
                try SlugArchive.pack(directory: buildDir, to: work.appendingPathComponent("slug.tar.zst"), compression: .zstd, limits: limits)
            }
        } catch let e as RikerError {
            throw RikerError(.buildFailed, e.message)
        }
        output.detail("Done: \(humanSize(slug.size))")
        let stored = try await store.storeSlug(app: request.app, file: slug.file, sha256: slug.sha256, ext: slug.compression.fileExtension,
                                               tags: ["app": request.app, "env": request.env, "commit": request.commit])
        if !stored.uploaded { output.detail("Identical slug already stored") }
        return Artifact(builder: result.builder, processTypes: result.processTypes, key: stored.key, sha256: slug.sha256, size: slug.size,
                        image: nil, manifest: result.manifest, unpackedSize: slug.unpackedSize)
    }

    /// Builds, releases and deploys. A deploy failure rolls back and throws `.deployFailed`.
    public func run(_ request: PipelineRequest) async throws -> Release {
        // Both are checked before the build starts, so a bad setting costs no build.
        let deploy = try DeploySettings(request.settings, env: request.env)
        let release: Release
        let work = newWorkDir()
        do { release = try await buildRelease(request, work: work) } catch {
            Self.remove(work)
            await notifyBuildFailed(request, error: error)
            throw error
        }
        // The build's files are removed on a thread of their own while the release deploys
        // (awaited however the deploy ends), rather than before: the push need not wait for it.
        async let removed: Void = Blocking.run { Self.remove(work) }
        try await PhaseTrace.measure("deploy") {
            try await Deployer(paths: paths, store: store, output: output).deploy(release, settings: deploy)
        }
        await removed
        return release
    }

    /// The app's own build user when Riker runs as root. A root Riker that cannot switch users
    /// refuses to build rather than run an app's buildpacks as root.
    func buildUser(_ app: String) throws -> AppUser? {
        guard geteuid() == 0 else { return nil }
        guard AppUser.canSwitch else {
            throw RikerError(.buildFailed, "cannot build as an unprivileged user: setpriv is missing (apt-get install util-linux); Riker never builds as root")
        }
        return try AppUsers(paths: paths).users(of: app).build
    }

    /// Builds run as each app's own user in ROOT/tmp with a cache in ROOT/cache: those users
    /// must be able to pass through these directories (0711), though they can list and read
    /// none of Riker's state (the store, keys and repositories are the owner's alone).
    static func openForBuildUser(_ paths: RikerPaths) throws {
        for dir in [paths.root, paths.tmpDir, paths.buildCache("x").deletingLastPathComponent()] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            chmod(dir.path, 0o711)
        }
        for dir in [paths.reposDir] where FileManager.default.fileExists(atPath: dir.path) { chmod(dir.path, 0o700) }
    }
}
