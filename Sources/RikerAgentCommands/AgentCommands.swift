import ArgumentParser
import Foundation
import RikerAWS
import RikerAgent
import RikerCore
import RikerRelease
import ServiceLifecycle

/// `riker-agent`: runs releases on an instance.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riker-agent",
        abstract: "Runs the releases the store says this instance should run.",
        subcommands: [AgentRunCommand.self, AgentDeployCommand.self]
    )
    public init() {}
}

/// `riker-agent run`: follow `desired` (or `current`) in the store until SIGTERM.
struct AgentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Install, start and supervise the release the store wants on this instance, until SIGTERM."
    )

    @Option(help: "The release store: s3://BUCKET/PREFIX, file:///DIR or a directory.") var store: String
    @Option(help: "The app to run.") var app: String
    @Option(help: "The app's environment.") var env: String = "production"
    @Option(name: .customLong("instance-id"),
            help: "This instance's id in the store (instances/ID/desired and status). 'auto' or omitted: the EC2 instance id from IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides where IMDS is).")
    var instanceID: String?
    @OptionGroup var placement: PlacementOptions
    @Option(name: .customLong("poll-interval"), help: "Seconds between reads of desired (default 0.2 for a local store, 2 for S3).") var pollInterval: Double?
    @Option(name: .customLong("container-storage"),
            help: "The container engine's storage for image releases (default: DIR/containers; riker serve passes its own).")
    var containerStorage: String?
    @Option(name: .customLong("app-uid"),
            help: "Run the app's processes as this unprivileged uid (and gid) when the agent runs as root (riker serve passes one per app).")
    var appUID: UInt32?
    @Option(name: .customLong("app-user"),
            help: "The same with an account's name (instances whose agent runs as root for image releases).")
    var appUserName: String?

    func run() async throws {
        RikerLogging.bootstrap()
        try await runAgent {
            guard AppName.isValid(app) else { throw RikerError(.invalidInput, "invalid app name '\(app.prefix(64))'") }
            guard AppName.isValid(env) else { throw RikerError(.invalidInput, "invalid environment name '\(env.prefix(64))'") }
            let instanceID = try await resolvedInstanceID(instanceID)
            let releaseStore = try StoreLocator.open(store)
            var options = AgentOptions(storeURL: store, app: app, env: env, instanceID: instanceID,
                                       dir: absoluteURL(placement.dir), port: placement.port, host: placement.host,
                                       pollInterval: pollInterval ?? (store.hasPrefix("s3://") ? 2 : 0.2))
            options.grace = placement.grace
            options.containerStorage = containerStorage.map(absoluteURL)
            if let appUID {
                guard AppUser.canSwitch else { throw RikerError(.invalidInput, "--app-uid needs root and setpriv (util-linux)") }
                guard appUID >= 1000 else { throw RikerError(.invalidInput, "--app-uid must be an unprivileged uid (1000 or more)") }
                options.appUser = AppUser(uid: appUID, gid: appUID)
            } else if let appUserName {
                options.appUser = try AppUser(account: appUserName)
            }
            return Agent(options: options, store: releaseStore)
        }
    }
}

/// `riker-agent deploy`: install and run one release, with no store polling, until SIGTERM.
struct AgentDeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Install and start one release (the store URL of its release.json), then run it until SIGTERM."
    )

    @Argument(help: "file:///STORE/apps/APP/ENV/releases/vN/release.json, a path of that shape, or its s3:// URL.") var releaseURL: String
    @OptionGroup var placement: PlacementOptions
    @Option(name: .customLong("instance-id"),
            help: "The id this agent reports its status under in the store (instances/ID/status); 'auto' asks IMDSv2.")
    var instanceID: String = "local"

    func run() async throws {
        RikerLogging.bootstrap()
        try await runAgent {
            let instanceID = try await resolvedInstanceID(instanceID)
            let location = try ReleaseLocation(parsing: releaseURL)
            let releaseStore = try StoreLocator.open(location.storeURL)
            var options = AgentOptions(storeURL: location.storeURL, app: location.app, env: location.env, instanceID: instanceID,
                                       dir: absoluteURL(placement.dir), port: placement.port, host: placement.host)
            options.pinnedRelease = location.version
            options.grace = placement.grace
            return Agent(options: options, store: releaseStore)
        }
    }
}

/// Where an agent keeps its files, serves the app, and how long processes get to stop.
struct PlacementOptions: ParsableArguments {
    @Option(help: "The agent's directory (releases, cache, logs, lock).") var dir: String
    @Option(help: "The port the app is served on.") var port: Int = 5000
    @Option(help: "The address the app is served on.") var host: String = "127.0.0.1"
    @Option(help: "Seconds a process gets between SIGTERM and SIGKILL.") var grace: Double = 10
}

/// Runs the agent `make` builds as the one service of a ServiceGroup that shuts it down
/// gracefully on SIGTERM/SIGINT; errors become one line on stderr and an exit code
/// (3 when another agent holds the directory, 1 otherwise).
private func runAgent(_ make: () async throws -> Agent) async throws {
    do {
        let agent = try await make()
        let logger = RikerLogging.logger("agent")
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: agent, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    } catch let e as RikerError {
        FileHandle.standardError.write(Data("riker-agent: \(e.message)\n".utf8))
        throw ExitCode(e.code == .locked ? 3 : 1)
    }
}

/// `--instance-id` as given, or (omitted or `auto`) this EC2 instance's id from IMDSv2; refuses
/// ids that cannot be a single store key segment.
private func resolvedInstanceID(_ given: String?) async throws -> String {
    let id = given == nil || given == "auto" ? try await InstanceMetadata().instanceID() : given!
    guard !id.isEmpty, !id.contains("/"), !id.hasPrefix(".") else {
        throw RikerError(.invalidInput, "invalid instance id '\(id.prefix(64))'")
    }
    return id
}

private func absoluteURL(_ path: String) -> URL {
    URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
}
