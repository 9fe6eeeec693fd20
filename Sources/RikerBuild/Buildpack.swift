import Foundation
import RikerCore
import Yams

/// One buildpack, copied into the build's work directory (so it may write its `export` file),
/// and the three programs of the Heroku classic API run in the build's sandbox.
struct Buildpack {
    var source: BuildpackSource
    /// The build's private copy of the buildpack.
    var dir: URL

    var exportFile: URL { dir.appendingPathComponent("export") }

    /// Runs `bin/detect BUILD_DIR`: the name it prints (first line of stdout), or nil when it
    /// exits non-zero. Its stderr is discarded.
    func detect(buildDir: URL, sandbox: BuildSandbox, scratch: URL) throws -> String? {
        let detect = try program("detect")
        let stdout = scratch.appendingPathComponent("detect.out")
        defer { try? FileManager.default.removeItem(at: stdout) }
        let status = try sandbox.run(Self.capturingStdout(to: stdout, [detect.path, buildDir.path]), in: buildDir) { _ in }
        guard status.succeeded else { return nil }
        let text = try ConfinedFile.read(stdout.lastPathComponent, in: scratch) ?? ""
        let name = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return name.isEmpty ? source.displayName : name
    }

    /// Runs `bin/compile BUILD_DIR CACHE_DIR ENV_DIR` after sourcing the `export` files of the
    /// buildpacks before it, passing every output line through unchanged.
    func compile(buildDir: URL, cacheDir: URL, envDir: URL, exports: [URL], sandbox: BuildSandbox, output: Output) throws {
        let compile = try program("compile")
        let script = #"n=$1; shift; while [ "$n" -gt 0 ]; do . "$1" || exit 1; shift; n=$((n-1)); done; exec "$@""#
        let argv = ["/bin/bash", "-c", script, "riker-compile", String(exports.count)] + exports.map(\.path)
            + [compile.path, buildDir.path, cacheDir.path, envDir.path]
        let status = try sandbox.run(argv, in: buildDir) { output.line($0) }
        guard status.succeeded else {
            let how = status.code.map { "exit code \($0)" } ?? status.description
            throw RikerError(.buildFailed, "buildpack \(source.displayName) failed (\(how))")
        }
    }

    /// Runs `bin/release BUILD_DIR` (optional) and returns its `default_process_types`.
    /// Its stderr reaches the pusher; its stdout must be YAML.
    func release(buildDir: URL, sandbox: BuildSandbox, scratch: URL, output: Output) throws -> [String: String] {
        let release = dir.appendingPathComponent("bin/release")
        guard FileManager.default.fileExists(atPath: release.path) else { return [:] }
        let stdout = scratch.appendingPathComponent("release.out")
        defer { try? FileManager.default.removeItem(at: stdout) }
        let status = try sandbox.run(Self.capturingStdout(to: stdout, [release.path, buildDir.path]), in: buildDir) { output.line($0) }
        guard status.succeeded else {
            throw RikerError(.buildFailed, "buildpack \(source.displayName) bin/release failed (\(status))")
        }
        let yaml = try ConfinedFile.read(stdout.lastPathComponent, in: scratch) ?? ""
        return try Self.defaultProcessTypes(fromReleaseYAML: yaml, buildpack: source.displayName)
    }

    /// Parses `bin/release` output: `default_process_types` (other keys are ignored).
    static func defaultProcessTypes(fromReleaseYAML yaml: String, buildpack: String) throws -> [String: String] {
        struct ReleaseInfo: Decodable { var default_process_types: [String: String]? }
        if yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [:] }
        do {
            return try YAMLDecoder().decode(ReleaseInfo.self, from: yaml).default_process_types ?? [:]
        } catch {
            throw RikerError(.buildFailed, "buildpack \(buildpack) bin/release printed invalid YAML: \(String(describing: error).prefix(160))")
        }
    }

    private func program(_ name: String) throws -> URL {
        let url = dir.appendingPathComponent("bin/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RikerError(.buildFailed, "buildpack \(source.displayName) has no bin/\(name)")
        }
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw RikerError(.buildFailed, "buildpack \(source.displayName): bin/\(name) is not executable (chmod +x it)")
        }
        return url
    }

    /// `argv` wrapped so its stdout goes to `file` while its stderr stays on the streamed pipe.
    private static func capturingStdout(to file: URL, _ argv: [String]) -> [String] {
        ["/bin/bash", "-c", #"out=$1; shift; exec "$@" > "$out""#, "riker-capture", file.path] + argv
    }
}
