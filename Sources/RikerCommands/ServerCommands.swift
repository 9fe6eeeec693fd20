import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerReceive
import RikerRelease
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.serve.name, abstract: "Run this machine's app instances (and, later, the webhook endpoint).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "HOST:PORT for the HTTP endpoint (webhooks; not served yet).") var listen: String?

    func run() async throws {
        try await reporting {
            let paths = global.paths
            try FileManager.default.createDirectory(at: paths.root, withIntermediateDirectories: true)
            guard let lock = try FileLock.tryLock(paths.serveLock) else {
                throw RikerError(.locked, "riker serve is already running for \(paths.root.path)")
            }
            defer { lock.unlock() }
            // A poke (SIGUSR1) that comes before the supervisor listens must not kill the server;
            // a vanished client must not either.
            for sig in [SIGUSR1, SIGPIPE] { signal(sig, SIG_IGN) }
            let store = try global.openStore()
            let logger = RikerLogging.logger("serve")
            let supervisor = LocalAgentSupervisor(paths: paths, store: store)
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                services: [supervisor], gracefulShutdownSignals: [.sigterm, .sigint, .sighup], logger: logger))
            try AtomicFile.write(Data("\(getpid())\n".utf8), to: paths.servePID)
            defer { try? FileManager.default.removeItem(at: paths.servePID) }
            logger.info("riker serve running for \(paths.root.path), store \(store.url)")
            try await group.run()
            logger.info("stopped")
        }
    }
}

struct SSHCommandVerb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.sshCommand.name, abstract: "The SSH forced command (reads SSH_ORIGINAL_COMMAND).", shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The name of the key the client authenticated with.") var name: String

    func run() async throws {
        try await reporting {
            let session = SSHSession(paths: global.paths, store: try global.openStore())
            switch try await session.prepare(keyName: name, command: ProcessInfo.processInfo.environment["SSH_ORIGINAL_COMMAND"]) {
            case .exec(let program, let args, let env):
                throw SSHSession.exec(program, args, env)
            case .verb(let verb, let args, let key):
                try await SSHVerbRunner(paths: global.paths, key: key).run(verb, args)
            }
        }
    }
}

struct Hook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.hook.name, abstract: "Git hooks of app repositories (run by git).", shouldDisplay: false)
    @Argument(help: "pre-receive or post-receive") var name: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reporting {
            // A pusher that hangs up must not stop a build or a deploy half way.
            signal(SIGPIPE, SIG_IGN)
            signal(SIGHUP, SIG_IGN)
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let updates = try RefUpdate.parse(input)
            let gitDir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["GIT_DIR"] ?? ".",
                             relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
            let hook = ReceiveHook(paths: global.paths, store: try global.openStore(), output: Output())
            let code: Int32
            switch name {
            case "pre-receive": code = await hook.preReceive(updates, repository: gitDir, pusher: global.actor)
            case "post-receive": code = hook.postReceive(updates, repository: gitDir)
            default: throw RikerError(.invalidInput, "unknown hook '\(name.prefix(30))'")
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}
