import Foundation
import RikerCore

/// Everything a build needs. The source is already checked out into `buildDir`, which the
/// build compiles in place (it becomes the slug directory).
public struct BuildRequest {
    public var app: String
    public var env: String
    public var buildDir: URL
    /// Per-app CACHE_DIR, kept between builds.
    public var cacheDir: URL
    /// Config vars, written to ENV_DIR one file per var. Never printed.
    public var config: [String: String]
    /// Directory holding the built-in buildpacks (`buildpacks/` of the Riker checkout).
    public var builtinBuildpacks: URL
    /// Where buildpacks fetched by URL are kept.
    public var buildpackCache: URL
    /// Scratch space for ENV_DIR and the like.
    public var tmpDir: URL
    /// Whole-build time limit in seconds.
    public var timeout: Double
    public var output: Output
    /// The commit being built, given to buildpacks as `SOURCE_VERSION`.
    public var sourceVersion: String?
    /// The app's own build user when Riker runs as root (see `AppUsers`); nil runs buildpacks
    /// as the current user.
    public var user: AppUser?
    /// Directories the operator trusts to hold buildpacks (`buildpack_dirs` in riker.conf):
    /// a local path or `file://` buildpack URL must lie inside one. Apps choose buildpack URLs
    /// (`.buildpacks`, `BUILDPACK_URL`), so anything else on the server is off limits to them.
    public var trustedBuildpackDirs: [URL] = []

    public init(app: String, env: String, buildDir: URL, cacheDir: URL, config: [String: String], builtinBuildpacks: URL,
                buildpackCache: URL, tmpDir: URL, timeout: Double = 900, output: Output, sourceVersion: String? = nil,
                user: AppUser?, trustedBuildpackDirs: [URL] = []) {
        self.app = app; self.env = env; self.buildDir = buildDir; self.cacheDir = cacheDir; self.config = config
        self.builtinBuildpacks = builtinBuildpacks; self.buildpackCache = buildpackCache; self.tmpDir = tmpDir
        self.timeout = timeout; self.output = output; self.sourceVersion = sourceVersion
        self.user = user; self.trustedBuildpackDirs = trustedBuildpackDirs
    }
}

public struct BuildResult: Sendable, Equatable {
    /// `buildpack:python`, `buildpack:https://github.com/x/y#v1`, `buildpack:python+buildpack:static`.
    public var builder: String
    /// Procfile merged over the buildpacks' `default_process_types`.
    public var processTypes: [String: String]
    /// The app's `app.json` (scripts, formation, health checks), nil when it has none.
    public var manifest: AppManifest?
    public init(builder: String, processTypes: [String: String], manifest: AppManifest? = nil) {
        self.builder = builder; self.processTypes = processTypes; self.manifest = manifest
    }
}

/// How an app is built: `Builder.build` (buildpacks, a slug) or `DockerfileBuild.build` (an image).
public enum BuilderKind: String, Sendable, Equatable {
    case buildpacks, dockerfile
}

/// Detects the builder for a checked-out app and compiles it (Heroku classic buildpack API).
///
/// Detection order: the `BUILDPACK_URL` config var, else a `.buildpacks` file (one URL per
/// line, all of them run in order), else a `Dockerfile` (see `kind` and `DockerfileBuild`), else the first
/// built-in buildpack whose `bin/detect` exits 0 (python, static, …, procfile last).
/// Buildpack programs run as `riker-build` when Riker runs as root, with a clean environment.
/// `.slugignore` is applied after compile, so its patterns also drop build by-products.
public enum Builder {
    /// Built-ins tried first, in this order; other directories follow by name, `procfile` last.
    static let builtinOrder = ["python", "static"]
    static let builtinLast = "procfile"
    /// What each built-in looks for, for the "nothing detected" message.
    static let builtinHints = ["python": "requirements.txt, Pipfile, setup.py or pyproject.toml", "static": "index.html or public/index.html",
                               "procfile": "Procfile"]

    /// Builds `request.buildDir` in place. Throws `RikerError(.buildFailed, …)` with a one-line
    /// reason when app.json is invalid, no builder is detected, a buildpack fails, or the time
    /// limit passes. app.json is read before anything runs, as pushed (not as compile leaves it).
    public static func build(_ request: BuildRequest) throws -> BuildResult {
        let fm = FileManager.default
        let output = request.output
        let prepareStart = ContinuousClock.now
        let manifest = try AppManifestFile.load(from: request.buildDir)
        let work = request.tmpDir.appendingPathComponent("riker-build-\(UUID().uuidString.prefix(8))")
        // The work dir stays Riker's (0711), so the build user cannot swap the directories in it;
        // only the directories inside are handed over.
        try fm.createDirectory(at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        defer { try? fm.removeItem(at: work) }
        let envDir = work.appendingPathComponent("env"), home = work.appendingPathComponent("home")
        let packsDir = work.appendingPathComponent("buildpacks"), scratch = work.appendingPathComponent("scratch")
        for dir in [home, packsDir, scratch, request.cacheDir] { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
        try EnvDir.write(request.config, to: envDir)

        let (sources, explicit) = try selectSources(request)
        for source in sources { try checkTrusted(source, request) }
        var packs: [Buildpack] = []
        for (i, source) in sources.enumerated() {
            let dir = packsDir.appendingPathComponent("\(i)")
            switch source {
            case .builtin(_, let src): try copyTree(src, to: dir)
            case .directory(let src):
                guard fm.fileExists(atPath: src.appendingPathComponent("bin").path) else {
                    throw RikerError(.buildFailed, "buildpack directory \(src.path) has no bin/ directory")
                }
                try copyTree(src, to: dir)
            case .git(let url, let ref):
                output.step("Fetching buildpack \(source.displayName)")
                try BuildpackCache(root: request.buildpackCache).copy(url: url, ref: ref, to: dir, output: output)
            }
            try? fm.removeItem(at: dir.appendingPathComponent("export"))
            packs.append(Buildpack(source: source, dir: dir))
        }

        let sandbox = BuildSandbox(home: home, sourceVersion: request.sourceVersion, timeout: request.timeout, user: request.user)
        try sandbox.handOver([request.buildDir, request.cacheDir, envDir, home, packsDir, scratch])
        try sandbox.checkAccess([request.buildDir, request.cacheDir, scratch])
        PhaseTrace.end("buildpacks.prepare", since: prepareStart)

        // As on Heroku, each buildpack is detected right before its compile; an app-chosen
        // buildpack that does not detect fails the build, the built-ins stop at the first match.
        if explicit && packs.count > 1 {
            output.step("Using buildpacks:")
            for (i, pack) in packs.enumerated() { output.detail("\(i + 1). \(pack.source.displayName)") }
        }
        var chosen: [Buildpack] = []
        var exports: [URL] = []
        for pack in packs {
            guard let name = try PhaseTrace.measure("buildpacks.detect", { try pack.detect(buildDir: request.buildDir, sandbox: sandbox, scratch: scratch) }) else {
                if explicit {
                    throw RikerError(.buildFailed, "App not compatible with buildpack: \(pack.source.displayName) (its bin/detect found nothing to build)")
                }
                continue
            }
            output.step("\(name) app detected")
            chosen.append(pack)
            try PhaseTrace.measure("buildpacks.compile") {
                try pack.compile(buildDir: request.buildDir, cacheDir: request.cacheDir, envDir: envDir, exports: exports,
                                 sandbox: sandbox, output: output)
            }
            if fm.fileExists(atPath: pack.exportFile.path) { exports.append(pack.exportFile) }
            if !explicit { break }
        }
        guard !chosen.isEmpty else { throw nothingDetected(builtins: sources) }

        if let text = try ConfinedFile.read(".slugignore", in: request.buildDir) {
            let removed = try SlugIgnore(parsing: text).apply(to: request.buildDir)
            if removed > 0 { output.detail("Removed \(removed) path\(removed == 1 ? "" : "s") listed in .slugignore") }
        }

        let releaseStart = ContinuousClock.now
        defer { PhaseTrace.end("buildpacks.release", since: releaseStart) }
        var defaults: [String: String] = [:]
        for pack in chosen {
            let types = try pack.release(buildDir: request.buildDir, sandbox: sandbox, scratch: scratch, output: output)
            defaults.merge(types) { _, later in later }
        }
        let processTypes = try ProcessTypes.discover(buildDir: request.buildDir, defaults: defaults, output: output)
        return BuildResult(builder: chosen.map(\.source.label).joined(separator: "+"), processTypes: processTypes, manifest: manifest)
    }

    /// The buildpacks to run, and whether they were chosen by the app (all must detect) or are
    /// the built-ins (the first that detects wins).
    static func selectSources(_ request: BuildRequest) throws -> (sources: [BuildpackSource], explicit: Bool) {
        if let url = request.config["BUILDPACK_URL"]?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty {
            return ([try BuildpackSource(parsing: url)], true)
        }
        if let text = try ConfinedFile.read(".buildpacks", in: request.buildDir) {
            let lines = text.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            guard !lines.isEmpty else { throw RikerError(.buildFailed, ".buildpacks is empty: list one buildpack URL per line") }
            return (try lines.map(BuildpackSource.init(parsing:)), true)
        }
        if kind(buildDir: request.buildDir, config: request.config) == .dockerfile {
            throw RikerError(.buildFailed, "this app builds from its Dockerfile (DockerfileBuild), not with buildpacks")
        }
        return (builtins(in: request.builtinBuildpacks), false)
    }

    /// How a checked-out app is built, in DESIGN §4's order: a `BUILDPACK_URL` config var or a
    /// `.buildpacks` file asks for buildpacks; else a `Dockerfile` means a Dockerfile build;
    /// else the built-in buildpacks.
    public static func kind(buildDir: URL, config: [String: String]) -> BuilderKind {
        let fm = FileManager.default
        if let url = config["BUILDPACK_URL"]?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty { return .buildpacks }
        if fm.fileExists(atPath: buildDir.appendingPathComponent(".buildpacks").path) { return .buildpacks }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: buildDir.appendingPathComponent("Dockerfile").path, isDirectory: &isDir), !isDir.boolValue { return .dockerfile }
        return .buildpacks
    }

    /// Refuses a local directory or `file://` buildpack outside the trusted directories: an app
    /// could otherwise have Riker copy any directory (`/`) or clone any repository on the server.
    static func checkTrusted(_ source: BuildpackSource, _ request: BuildRequest) throws {
        let path: String
        switch source {
        case .builtin: return
        case .directory(let dir): path = dir.standardizedFileURL.resolvingSymlinksInPath().path
        case .git(let url, _):
            guard url.hasPrefix("file://") else { return }
            path = URL(fileURLWithPath: String(url.dropFirst("file://".count))).standardizedFileURL.resolvingSymlinksInPath().path
        }
        let trusted = request.trustedBuildpackDirs.map { $0.standardizedFileURL.resolvingSymlinksInPath().path }
        guard trusted.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            throw RikerError(.buildFailed, "buildpack \(source.displayName) is on this server, outside the directories it trusts: use a git URL (https://…), or ask the operator to add its directory to buildpack_dirs in riker.conf")
        }
    }

    /// The built-in buildpacks present in `dir`, in detection order.
    static func builtins(in dir: URL) -> [BuildpackSource] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent("\($0)/bin/detect").path) }
        let ordered = builtinOrder.filter(names.contains)
            + names.filter { !builtinOrder.contains($0) && $0 != builtinLast }.sorted()
            + (names.contains(builtinLast) ? [builtinLast] : [])
        return ordered.map { .builtin(name: $0, dir: dir.appendingPathComponent($0)) }
    }

    private static func nothingDetected(builtins: [BuildpackSource]) -> RikerError {
        let looked = builtins.map { source -> String in
            guard case .builtin(let name, _) = source else { return source.displayName }
            return builtinHints[name].map { "\($0) (\(name))" } ?? name
        }
        return RikerError(.buildFailed, "no buildpack detected: looked for BUILDPACK_URL, a .buildpacks file, a Dockerfile"
            + looked.map { ", " + $0 }.joined())
    }
}
