import Foundation

/// Every path Riker uses, derived from one root (`--root`, `$RIKER_ROOT`, then `/var/lib/riker`).
public struct RikerPaths: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// Resolves the root from an explicit option, then `$RIKER_ROOT`, then `/var/lib/riker`.
    public static func resolve(_ explicit: String?) -> RikerPaths {
        let env = ProcessInfo.processInfo.environment["RIKER_ROOT"]
        let path = explicit ?? (env?.isEmpty == false ? env! : "/var/lib/riker")
        return RikerPaths(root: URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).absoluteURL)
    }

    public var sshDir: URL { root.appendingPathComponent(".ssh") }
    public var authorizedKeys: URL { sshDir.appendingPathComponent("authorized_keys") }
    /// Key metadata (admin flag, app list); `authorized_keys` is generated from it.
    public var keysFile: URL { root.appendingPathComponent("keys.json") }
    public var reposDir: URL { root.appendingPathComponent("repos") }
    public func repo(_ app: String) -> URL { reposDir.appendingPathComponent("\(app).git") }
    /// The embedded default release store (a local directory with the S3 layout).
    public var localStore: URL { root.appendingPathComponent("store") }
    /// Per-app buildpack CACHE_DIR, kept between builds.
    public func buildCache(_ app: String) -> URL { root.appendingPathComponent("cache").appendingPathComponent(app) }
    /// Third-party buildpacks fetched by URL.
    public var buildpacksCache: URL { root.appendingPathComponent("buildpacks") }
    /// podman's `--root` for Dockerfile builds (and the local target's image releases).
    public var containerStorage: URL { root.appendingPathComponent("containers") }
    /// An app's image export directory, kept between Dockerfile builds (see `DockerfileBuild`).
    public func imageWorkspace(_ app: String) -> URL { root.appendingPathComponent("images").appendingPathComponent(app) }
    /// An app's slug workspace: layers of its last builds and what they were packed from (`SlugWorkspace`).
    public func slugWorkspace(_ app: String) -> URL { root.appendingPathComponent("slugs").appendingPathComponent(app) }
    /// Scratch space for builds; removed after each build.
    public var tmpDir: URL { root.appendingPathComponent("tmp") }
    /// Working directories of the local target's agents.
    public var instancesDir: URL { root.appendingPathComponent("instances") }
    public func instanceDir(app: String, env: String, instance: String) -> URL {
        instancesDir.appendingPathComponent(app).appendingPathComponent(env).appendingPathComponent(instance)
    }
    /// The working directory of a local agent, with its own layout.
    public func agentDirectory(app: String, env: String, instance: String) -> AgentDirectory {
        AgentDirectory(instanceDir(app: app, env: env, instance: instance))
    }
    /// Held by `riker serve` while it runs (flock); its pid is in `servePID`.
    public var serveLock: URL { root.appendingPathComponent("serve.lock") }
    public var servePID: URL { root.appendingPathComponent("serve.pid") }
    /// Serialises the choice of local ports across apps.
    public var portsLock: URL { root.appendingPathComponent("ports.lock") }
    /// Locks between processes of this server (pushes of one app env, …).
    public var locksDir: URL { root.appendingPathComponent("locks") }
    public func pushLock(app: String, env: String) -> URL { locksDir.appendingPathComponent("push-\(app).\(env)") }
    /// Tags pre-receive recorded for post-receive to write, one file per pushed commit.
    public func pendingTags(_ app: String) -> URL { repo(app).appendingPathComponent("riker-pending-tags") }
    public var sshdDir: URL { root.appendingPathComponent("sshd") }
    /// Settings of this Riker server (store URL and the like), `KEY=VALUE` lines.
    public var serverConfig: URL { root.appendingPathComponent("riker.conf") }
    public var rootLock: URL { root.appendingPathComponent(".lock") }
    /// Which uids each app's builds and processes run as (see `AppUsers`).
    public var uids: URL { root.appendingPathComponent("uids.json") }
    public var uidsLock: URL { root.appendingPathComponent(".uids.lock") }
}
