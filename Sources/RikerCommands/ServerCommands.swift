import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerReceive
import RikerRelease
import RikerServer
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.serve.name,
                                                    abstract: "Run this machine's app instances and the HTTP endpoint (GitHub webhooks, builds).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "HOST:PORT of the HTTP endpoint (port 0: any free port; 'none': no HTTP).") var listen: String = HTTPServiceConfiguration.defaultListen
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?

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
            let metrics = ServerMetrics()
            let store = MeteredStore(try global.openStore(), metrics: metrics)
            let logger = RikerLogging.logger("serve")
            let supervisor = LocalAgentSupervisor(paths: paths, store: store)
            var services: [any Service] = [supervisor]
            var http: HTTPService?
            var internalToken: String?
            if listen != "none" {
                let metricsAuth = try MetricsAuthSetting.requiresToken(ServerConfig.load(paths)[MetricsAuthSetting.key])
                // The API tokens live in the store, shared by every server of it; an older root's file moves there once.
                let tokens = TokenRing(store: store)
                do {
                    let (imported, skipped) = try await tokens.importLegacyFile(paths)
                    if !imported.isEmpty || !skipped.isEmpty {
                        logger.notice("moved \(imported.count) API token(s) from \(paths.legacyTokensFile.path) into the store (the file is now tokens.json.imported)\(skipped.isEmpty ? "" : "; the store already had \(skipped.joined(separator: ", ")), kept those")")
                    }
                } catch {
                    logger.error("the API tokens of \(paths.legacyTokensFile.path) are not in the store yet, so they are refused: \(error.userMessage); run riker tokens:list to move them")
                }
                let auth = BearerAuth(tokens: tokens)
                let pipeline = WebhookPipeline(paths: paths, store: store)
                // riker.conf `queue=`: nil is the embedded spool; `sqs://QUEUE` is shared by the servers of the store.
                let queue = try await DeliveryQueueSetting.open(ServerConfig.load(paths)["queue"], store: store)
                let server = try WebhookServer(
                    http: try HTTPServiceConfiguration(listen: listen, tlsCertificate: tlsCert, tlsKey: tlsKey),
                    paths: paths, store: store, queue: queue, fetcher: PipelineFetcher(pipeline: pipeline), runner: PipelineRunner(pipeline: pipeline),
                    statuses: GitHubCommitStatuses(store: store, logger: logger), observer: metrics, auth: auth, logger: logger)
                server.http.add(MetricsRoutes(metrics: metrics, scan: StoreMetricsScan(store: store, metrics: metrics), auth: metricsAuth ? auth : nil))
                if geteuid() == 0 {
                    let token = InternalPushRoutes.makeToken()
                    server.http.add(InternalPushRoutes(paths: paths, store: store, token: token))
                    internalToken = token
                }
                let api = ServeAPI(paths: paths, store: store, auth: auth, logger: logger)
                server.http.add(api.routes)
                // The live page at `/`: the API's tokens and actions, for people.
                server.http.add(PageRoutes(api: api.routes, secureCookies: server.http.configuration.usesTLS))
                services += server.services + [api.runner]
                http = server.http
            }
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint, .sighup], logger: logger))
            if let http {
                // Said once the port is bound: with port 0 this is where to find it.
                Task {
                    if let port = await http.listeningPort() {
                        logger.info("HTTP on \(http.configuration.usesTLS ? "https" : "http")://\(http.configuration.host):\(port)")
                        // Where pushes received by the unprivileged owner of the root are built (DelegatedPush).
                        if let internalToken {
                            do { try DelegatedPush.Endpoint.publish(port: port, token: internalToken, paths: paths) } catch {
                                logger.error("cannot publish the push endpoint: \(error.userMessage)")
                            }
                        }
                    }
                }
            }
            try AtomicFile.write(Data("\(getpid())\n".utf8), to: paths.servePID)
            defer {
                try? FileManager.default.removeItem(at: paths.servePID)
                try? FileManager.default.removeItem(at: DelegatedPush.Endpoint.file(paths))
            }
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
            PhaseTrace.started("hook.\(name).start-up")
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
