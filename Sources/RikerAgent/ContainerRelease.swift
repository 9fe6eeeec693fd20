import Foundation
import RikerCore
import RikerLogs
import RikerRelease

/// The containers of one image release, the image counterpart of `RunningRelease`: one
/// `AppProcess` per process of its formation, each the foreground `podman run` of its container, so
/// supervision, restarts, logs and health checks work as for a slug.
///
/// `web` publishes its container port (the image's EXPOSEd port, else 5000, given as `PORT`)
/// on 127.0.0.1 at `webPort`, which the proxy forwards to. A process type with a command runs
/// it as `/bin/sh -c COMMAND` in the image; one without runs the image's ENTRYPOINT/CMD.
/// Config vars reach the container through an env file (0600), never its command line.
final class ContainerRelease: @unchecked Sendable {
    let release: Release
    let directory: URL
    let image: InstalledImage
    /// The host port (127.0.0.1) `web` is published on; nil without a web process.
    let webPort: Int?
    /// The port inside the container `web` listens on.
    let containerPort: Int
    let processes: [AppProcess]
    var healthURL: String?
    var webHealthy = false

    var version: Int { release.version }
    var web: AppProcess? { processes.first { $0.type == "web" } }

    /// The port a web container listens on when its image EXPOSEs none (Heroku's Docker default).
    static let defaultContainerPort = 5000

    /// The env file each container reads (the agent's, 0600 in a 0700 directory).
    let envFiles: [String: URL]

    init(release: Release, image: InstalledImage, paths: AgentDirectory, logs: LogStream? = nil) {
        self.release = release
        self.image = image
        directory = image.directory
        containerPort = release.image?.port ?? Self.defaultContainerPort
        let planned = release.effectiveFormation.processes(of: release.processTypes)
        let port = planned.contains { $0.type == "web" } ? RunningRelease.ephemeralPort() : nil
        webPort = port
        let containerPort = self.containerPort
        processes = planned.map { type, index in
            let name = "\(type).\(index)"
            return AppProcess(type: type, index: index, release: release.version,
                              spec: Self.spec(name: Self.containerName(image, version: release.version, type: name),
                                              command: release.processTypes[type] ?? "", release: release, image: image,
                                              envFile: paths.envFile(release.version, name),
                                              hostPort: type == "web" ? port : nil, containerPort: containerPort),
                              logFile: paths.log(release.version, name), logs: logs)
        }
        envFiles = Dictionary(uniqueKeysWithValues: processes.map { ($0.name, paths.envFile(release.version, $0.name)) })
    }

    /// The container name of one process (`web.1`) or one-off type: unique per agent, release and process.
    static func containerName(_ image: InstalledImage, version: Int, type: String) -> String {
        "riker-\(image.agentKey)-v\(version)-\(type)"
    }

    /// The foreground `run` of one container called `name`, with its environment in `envFile`.
    static func spec(name: String, command: String, release: Release, image: InstalledImage, envFile: URL, hostPort: Int?,
                     containerPort: Int) -> ProcessSpec {
        let engine = image.engine
        var args = ["run", "--rm", "--name", name, "--init",
                    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--log-driver", "none",
                    "--label", "riker.agent=\(image.agentKey)", "--label", "riker.release=\(release.name)",
                    "--env-file", envFile.path]
        if engine.kind == .podman { args.append("--replace") }
        if let hostPort { args += ["--publish", "127.0.0.1:\(hostPort):\(containerPort)"] }
        if command.isEmpty {
            args.append(image.imageID)
        } else {
            args += ["--entrypoint", "/bin/sh", image.imageID, "-c", command]
        }
        var spec = engine.spec(args)
        spec.stdin = .null
        return spec
    }

    /// The environment of one process: config vars, then `RIKER_*`, `DYNO` and (web) `PORT`.
    /// The image's own ENV applies beneath these.
    static func environment(type: String, index: Int, release: Release, containerPort: Int) -> [String: String] {
        var env = release.config
        env["RIKER_APP"] = release.app
        env["RIKER_ENV"] = release.env
        env["RIKER_RELEASE"] = release.name
        env["RIKER_COMMIT"] = release.commit
        env["DYNO"] = "\(type).\(index)"
        if type == "web" { env["PORT"] = String(containerPort) } else { env.removeValue(forKey: "PORT") }
        return env
    }

    /// Writes the env files and starts every container; on failure stops the ones already started.
    func start(registry: ProcessRegistry) throws {
        for p in processes {
            try Self.writeEnvFile(Self.environment(type: p.type, index: p.index, release: release, containerPort: containerPort),
                                  to: envFiles[p.name]!, release: release)
        }
        if image.engine.kind == .docker {
            for p in processes { _ = try? image.engine.run(["rm", "--force", Self.containerName(image, version: version, type: p.name)], timeout: 60) }
        }
        for (i, p) in processes.enumerated() {
            do { try p.start(registry: registry) } catch {
                for q in processes[..<i] { stopContainer(q, grace: 1, registry: registry) }
                throw RikerError(.deployFailed, "cannot start \(p.name) of \(release.name): \(error.userMessage)")
            }
        }
    }

    /// Stops every container in parallel (`stop -t GRACE`: SIGTERM, then SIGKILL after `grace`),
    /// off the cooperative pool.
    func stop(grace: Double, registry: ProcessRegistry) async {
        await withDiscardingTaskGroup { group in
            for p in processes {
                group.addTask { await Blocking.run { self.stopContainer(p, grace: grace, registry: registry) } }
            }
        }
    }

    /// The same stop, blocking the calling thread (for callers outside async code).
    func stopBlocking(grace: Double, registry: ProcessRegistry) {
        DispatchQueue.concurrentPerform(iterations: processes.count) { stopContainer(processes[$0], grace: grace, registry: registry) }
    }

    private func stopContainer(_ p: AppProcess, grace: Double, registry: ProcessRegistry) {
        let name = Self.containerName(image, version: version, type: p.name)
        let seconds = String(max(0, Int(grace.rounded(.up))))
        _ = try? image.engine.run(["stop", "--time", seconds, name], timeout: grace + 60)
        // The foreground `run` ends with its container; it is reaped (or killed) here.
        p.stop(grace: 5, registry: registry)
        _ = try? image.engine.run(["rm", "--force", name], timeout: 60)
    }

    /// An env file as podman and docker read it: one `KEY=VALUE` a line, the value taken as is.
    /// A value with a line break cannot be written so; it fails the start, naming the variable.
    static func writeEnvFile(_ env: [String: String], to file: URL, release: Release) throws {
        var text = ""
        for key in env.keys.sorted() {
            let value = env[key]!
            guard !value.contains(where: \.isNewline) else {
                throw RikerError(.deployFailed, "config var \(key) has a line break, which cannot be passed to the containers of \(release.name): store it without one (e.g. base64)")
            }
            text += "\(key)=\(value)\n"
        }
        let dir = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFile.write(Data(text.utf8), to: file, mode: 0o600)
    }
}
