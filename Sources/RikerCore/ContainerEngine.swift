import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The container engine Riker drives from the command line: podman, or a Docker engine
/// where podman is absent and one answers.
///
/// podman always runs rootful with `--runtime runc` (crun refuses the hybrid cgroups of these
/// machines), Riker's own `--root` (so it never shares, or fights over, another user's image
/// store) and a `--runroot`/`--tmpdir` under `/run/riker-podman/HASH`: podman refuses a runroot
/// longer than 50 characters, and records it in its database, so it is derived from the root.
/// Engine commands get a clean environment: nothing of Riker's own, which may hold secrets.
public struct ContainerEngine: Sendable, Equatable {
    public enum Kind: String, Sendable { case podman, docker }

    public let kind: Kind
    /// Absolute path of `podman` or `docker`.
    public let executable: String
    /// podman's `--root` (images, layers, containers); nil for docker, whose daemon owns its store.
    public let storage: URL?

    public init(kind: Kind, executable: String, storage: URL?) {
        self.kind = kind; self.executable = executable; self.storage = storage?.standardizedFileURL
    }

    public var name: String { kind.rawValue }

    /// Where engines and their helpers are looked for.
    public static let standardPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// podman's run directory for `storage`: short, and always the same for the same root.
    public static func runroot(for storage: URL) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: a stable short name, not a security boundary
        for byte in storage.standardizedFileURL.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let base = geteuid() == 0 ? "/run/riker-podman" : NSTemporaryDirectory() + "riker-podman-\(geteuid())"
        return URL(fileURLWithPath: base).appendingPathComponent(String(format: "%016llx", hash))
    }

    /// The flags every command of this engine starts with.
    public var globalArguments: [String] {
        guard kind == .podman, let storage else { return [] }
        let run = Self.runroot(for: storage)
        return ["--runtime", "runc", "--root", storage.path, "--runroot", run.path,
                "--tmpdir", run.appendingPathComponent("libpod").path, "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
    }

    /// The environment engine commands run with: a fixed PATH and locale, large temp files kept
    /// beside the storage, and for docker the variables that say where its daemon is.
    public var environment: [String: String] {
        var env = ["PATH": Self.standardPath, "LANG": "C.UTF-8", "HOME": "/root"]
        let mine = ProcessInfo.processInfo.environment
        if let home = mine["HOME"], !home.isEmpty { env["HOME"] = home }
        switch kind {
        case .podman:
            if let storage { env["TMPDIR"] = storage.appendingPathComponent("tmp").path }
        case .docker:
            for key in ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"] {
                if let v = mine[key] { env[key] = v }
            }
        }
        return env
    }

    /// A process running `ENGINE GLOBAL-FLAGS args…` with the engine environment plus `extraEnv`.
    public func spec(_ args: [String], extraEnv: [String: String] = [:]) -> ProcessSpec {
        ProcessSpec(executable, globalArguments + args, environment: environment.merging(extraEnv) { _, new in new })
    }

    /// Creates the storage and temp directories podman needs (0700: images may hold build secrets).
    public func prepare() throws {
        guard kind == .podman, let storage else { return }
        for dir in [storage, storage.appendingPathComponent("tmp"), Self.runroot(for: storage)] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Runs a short engine command and returns its output. A non-zero exit throws `.process`
    /// with the engine's own error line; so does a command still running after `timeout` seconds.
    @discardableResult
    public func run(_ args: [String], timeout: Double = 300) throws -> String {
        try prepare()
        let (output, status) = try ProcessRunner.capture(spec(args), timeout: timeout)
        guard status.succeeded else {
            throw RikerError(.process, "\(name) \(args.first ?? "") failed: \(Self.errorLine(output))")
        }
        return output
    }

    /// The line of an engine's output that says what went wrong: its last `Error:` line without
    /// the prefix, else its last non-empty line.
    public static func errorLine(_ output: String) -> String {
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let e = lines.last(where: { $0.lowercased().hasPrefix("error") }) {
            for prefix in ["Error: ", "ERROR: ", "error: ", "Error response from daemon: "] where e.hasPrefix(prefix) {
                return String(e.dropFirst(prefix.count))
            }
            return e
        }
        return lines.last ?? "(no output)"
    }

    /// The engine on this host: podman (with runc) when installed, else docker when its daemon
    /// answers. `storage` becomes podman's `--root`. Throws `.process` with what to install when
    /// there is neither, so a caller can turn it into a failed build or a failed release status.
    public static func detect(storage: URL, path: String = standardPath) throws -> ContainerEngine {
        let find = { (name: String) in try? ChildProcess.resolveExecutable(name, path: path) }
        if let podman = find("podman") {
            guard find("runc") != nil else {
                throw RikerError(.process, "podman is installed but runc is not: install it (apt-get install runc)")
            }
            return ContainerEngine(kind: .podman, executable: podman, storage: storage)
        }
        if let docker = find("docker") {
            let engine = ContainerEngine(kind: .docker, executable: docker, storage: nil)
            if (try? engine.run(["version", "--format", "{{.Server.Version}}"], timeout: 15)) != nil { return engine }
        }
        throw RikerError(.process, "this host cannot build or run images: install podman (apt-get install podman runc catatonit) or start a Docker engine")
    }
}
