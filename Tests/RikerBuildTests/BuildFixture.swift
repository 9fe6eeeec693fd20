import Foundation
import RikerCore
import RikerTestSupport
@testable import RikerBuild

/// A throwaway app checkout, cache, buildpack cache and tmp dir, plus helpers to write apps
/// and local buildpacks and to run a build while collecting its output.
struct BuildFixture {
    let temp: TempDir
    var app: URL { temp.path("app") }
    var cache: URL { temp.path("cache") }
    var buildpackCache: URL { temp.path("buildpack-cache") }
    var tmp: URL { temp.path("tmp") }
    var log: URL { temp.path("build.log") }

    /// The build user builds run as here when the tests run as root (as Riker does), else nil.
    static let buildUser: AppUser? = AppUser.canSwitch ? AppUser(uid: 399_990, gid: 399_990) : nil

    /// The repository's own built-in buildpacks.
    static let builtinBuildpacks = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("buildpacks")

    init() throws {
        temp = try TempDir("riker-build-test")
        for dir in [app, tmp] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
    }

    /// Writes `files` (relative path → content) into the app.
    func writeApp(_ files: [String: String]) throws {
        try write(files, in: app)
    }

    /// Creates a local buildpack named `name` whose bin scripts are the given bash bodies.
    @discardableResult
    func buildpack(_ name: String, detect: String? = nil, compile: String, release: String? = nil) throws -> URL {
        let dir = temp.path("buildpacks/\(name)")
        var files = ["bin/detect": "#!/usr/bin/env bash\n" + (detect ?? "echo \(name)") + "\n",
                     "bin/compile": "#!/usr/bin/env bash\nset -e\n" + compile + "\n"]
        if let release { files["bin/release"] = "#!/usr/bin/env bash\n" + release + "\n" }
        try write(files, in: dir)
        for file in files.keys { chmod(dir.appendingPathComponent(file).path, 0o755) }
        return dir
    }

    func request(config: [String: String] = [:], timeout: Double = 60) -> BuildRequest {
        let output = Output.null
        output.tee(to: log)
        return BuildRequest(app: "demo", env: "production", buildDir: app, cacheDir: cache, config: config,
                            builtinBuildpacks: Self.builtinBuildpacks, buildpackCache: buildpackCache, tmpDir: tmp,
                            timeout: timeout, output: output, sourceVersion: "0123456789abcdef0123456789abcdef01234567",
                            user: Self.buildUser, trustedBuildpackDirs: [temp.url])
    }

    /// Runs a build; returns its result (or error) and every output line.
    func build(config: [String: String] = [:], timeout: Double = 60) -> (result: Result<BuildResult, Error>, lines: [String]) {
        let result = Result { try Builder.build(request(config: config, timeout: timeout)) }
        return (result, outputLines())
    }

    func outputLines() -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func read(_ rel: String) -> String? { try? String(contentsOf: app.appendingPathComponent(rel), encoding: .utf8) }

    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: app.appendingPathComponent(rel).path) }

    /// Runs `command` in the built app as the runtime does: HOME is the app dir and
    /// `.profile.d/*.sh` is sourced first. Returns the trimmed combined output.
    func runApp(_ command: String) throws -> (output: String, status: ExitStatus) {
        let script = "for f in .profile.d/*.sh; do . \"$f\"; done; \(command)"
        let spec = ProcessSpec("/bin/bash", ["-c", script], environment: ["PATH": BuildSandbox.path, "HOME": app.path],
                               workingDirectory: app)
        let (out, status) = try ProcessRunner.capture(spec, timeout: 60)
        return (out.trimmingCharacters(in: .whitespacesAndNewlines), status)
    }

    /// The version (`X.Y.Z`) of the `python3` builds find on their PATH, or "" when there is none.
    static let buildPython: String = {
        let spec = ProcessSpec("/bin/sh", ["-c", "python3 -c 'import sys; print(\"%d.%d.%d\" % sys.version_info[:3])'"],
                               environment: ["PATH": BuildSandbox.path])
        return ((try? ProcessRunner.capture(spec, timeout: 30))?.0 ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// `X.Y` of `buildPython`.
    static var buildPythonMinor: String { buildPython.split(separator: ".").prefix(2).joined(separator: ".") }

    private func write(_ files: [String: String], in dir: URL) throws {
        for (rel, content) in files {
            let url = dir.appendingPathComponent(rel)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
    }

    func remove() { temp.remove() }
}

extension Result {
    var error: Failure? { if case .failure(let e) = self { return e }; return nil }
    var rikerError: RikerError? { error as? RikerError }
}
