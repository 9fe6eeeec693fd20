import Foundation
import Logging
import RikerCore
import RikerRelease

/// Runs one command of a release once, outside supervision, the way the agent runs the
/// release's processes: the slug unpacked (or the image loaded) into an agent directory of its
/// own, as the app's unprivileged user when one is given, the release's config as environment,
/// `.profile.d` sourced, `DYNO=TYPE.1`, no `PORT`.
/// The release phase (`release:` in the Procfile) and app.json's `scripts.postdeploy` run
/// through it, on the deploying server.
///
/// Runs of one release share its unpacked copy (the release command's and postdeploy's);
/// copies of other releases are removed while the command runs (deleting thousands of files
/// can take seconds, which a deploy should not wait for on top of its command).
public struct OneOffRunner: Sendable {
    public let store: any ReleaseStore
    public let paths: AgentDirectory
    /// podman's `--root` for image releases (the server's own, so images it built need no transfer).
    public let containerStorage: URL?
    /// The app's own unprivileged user slug commands run as (nil: this process's user).
    public let user: AppUser?
    let logger: Logger

    public init(store: any ReleaseStore, directory: URL, containerStorage: URL? = nil, user: AppUser? = nil) {
        self.store = store
        paths = AgentDirectory(directory)
        self.containerStorage = containerStorage
        self.user = user
        // Its output goes to the pusher: only what needs attention, not each download and unpack.
        var logger = RikerLogging.logger("one-off")
        logger.logLevel = .warning
        self.logger = logger
    }

    /// How a run ended: the command's exit status, and whether it was stopped for taking too long.
    public struct Result: Sendable {
        public var status: ExitStatus
        public var timedOut: Bool
    }

    /// Installs `release` and runs `command` as process type `type`, calling `onLine` with each
    /// line of its output (stdout and stderr) as it comes. After `timeout` seconds its process
    /// group (or container) is stopped, SIGTERM then SIGKILL, and `timedOut` is set.
    ///
    /// Throws `.deployFailed` when the release cannot be installed (missing or corrupt artifact,
    /// no container engine for an image) or the command cannot be started.
    public func run(_ release: Release, type: String, command: String, timeout: Double,
                    onLine: @escaping @Sendable (String) -> Void) async throws -> Result {
        try paths.create()
        if release.image != nil { return try await runInContainer(release, type: type, command: command, timeout: timeout, onLine: onLine) }

        let installer = ReleaseInstaller(store: store, paths: paths, logger: logger)
        let dir = try await installer.install(release, for: user)
        async let pruned: Void = Blocking.run { installer.prune(keep: 0, protected: [release.version]) }
        let spec = try ReleaseEnvironment.spec(type: type, command: command, release: release, directory: dir, webPort: nil, user: user)
        let result = try await Blocking.run { try ProcessRunner.run(spec, timeout: timeout, onLine: onLine) }
        await pruned
        return Result(status: result.status, timedOut: result.timedOut)
    }

    private func runInContainer(_ release: Release, type: String, command: String, timeout: Double,
                                onLine: @escaping @Sendable (String) -> Void) async throws -> Result {
        let installer = ImageInstaller(store: store, paths: paths, logger: logger, storage: containerStorage)
        let image = try await installer.install(release)
        let containerPort = release.image?.port ?? ContainerRelease.defaultContainerPort
        let envFile = paths.envFile(release.version, type)
        defer { try? FileManager.default.removeItem(at: envFile) }
        try ContainerRelease.writeEnvFile(ContainerRelease.environment(type: type, index: 1, release: release, containerPort: containerPort),
                                          to: envFile, release: release)
        let name = ContainerRelease.containerName(image, version: release.version, type: type)
        let spec = ContainerRelease.spec(name: name, command: command, release: release, image: image, envFile: envFile,
                                         hostPort: nil, containerPort: containerPort)
        let engine = image.engine
        let result = try await Blocking.run {
            defer { _ = try? engine.run(["rm", "--force", name], timeout: 60) }
            return try ProcessRunner.run(spec, timeout: timeout, beforeKill: { _ in
                _ = try? engine.run(["stop", "--time", "5", name], timeout: 65)
            }, onLine: onLine)
        }
        await Blocking.run { installer.prune(keep: 1, protected: [release.version]) }
        return Result(status: result.status, timedOut: result.timedOut)
    }
}
