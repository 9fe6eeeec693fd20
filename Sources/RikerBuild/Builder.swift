import Foundation
import RikerCore

// CONTRACT (filled in by the RikerBuild work): signatures other modules rely on.

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

    public init(app: String, env: String, buildDir: URL, cacheDir: URL, config: [String: String], builtinBuildpacks: URL,
                buildpackCache: URL, tmpDir: URL, timeout: Double = 900, output: Output) {
        self.app = app; self.env = env; self.buildDir = buildDir; self.cacheDir = cacheDir; self.config = config
        self.builtinBuildpacks = builtinBuildpacks; self.buildpackCache = buildpackCache; self.tmpDir = tmpDir
        self.timeout = timeout; self.output = output
    }
}

public struct BuildResult: Sendable, Equatable {
    /// `buildpack:python`, `buildpack:https://github.com/x/y#v1`, `buildpack:python+buildpack:static`.
    public var builder: String
    /// Procfile merged over the buildpacks' `default_process_types`.
    public var processTypes: [String: String]
    public init(builder: String, processTypes: [String: String]) { self.builder = builder; self.processTypes = processTypes }
}

/// Detects the builder for a checked-out app and compiles it (Heroku classic buildpack API).
public enum Builder {
    /// Builds `request.buildDir` in place. Throws `RikerError(.buildFailed, …)` with a one-line
    /// reason when no builder is detected, a buildpack fails, or the time limit passes.
    public static func build(_ request: BuildRequest) throws -> BuildResult {
        throw RikerError(.buildFailed, "not implemented")
    }
}
