import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import RikerCore
import ServiceLifecycle

/// The HTTP side of `riker serve`: one Hummingbird application serving every registered
/// `HTTPRoutes`, run as a ServiceLifecycle service.
///
/// Graceful shutdown (SIGTERM through the service group) stops accepting connections and
/// lets requests already accepted finish. Each request is logged once, after its answer
/// (`RequestLogMiddleware`); every error is answered as JSON (`JSONErrorMiddleware`).
public final class HTTPService: Service, @unchecked Sendable {
    public let configuration: HTTPServiceConfiguration
    public let logger: Logger
    private let lock = NSLock()
    private var routes: [any HTTPRoutes]
    private var started = false
    private let bound = BoundPort()

    public init(configuration: HTTPServiceConfiguration, routes: [any HTTPRoutes] = [], logger: Logger) {
        self.configuration = configuration; self.routes = routes; self.logger = logger
    }

    /// Adds routes; only before `run()`.
    public func add(_ part: any HTTPRoutes) {
        lock.withLock {
            precondition(!started, "HTTPService.add after run()")
            routes.append(part)
        }
    }

    /// The router with the middleware and every registered part (also for in-process tests).
    public func makeRouter() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        for part in lock.withLock({ routes }) { part.register(on: router) }
        return router
    }

    /// Serves until cancelled or shut down gracefully. Throws when the address cannot be bound
    /// or the TLS files cannot be read.
    public func run() async throws {
        lock.withLock { started = true }
        do {
            let app = Application(
                router: makeRouter(),
                server: try serverBuilder(),
                configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
                onServerRunning: { [bound] channel in
                    if let port = channel.localAddress?.port { bound.listening(port) } else { bound.stopped() }
                },
                logger: logger)
            try await app.run()
            bound.stopped()
        } catch {
            let wasServing = bound.hasServed
            bound.stopped()
            if wasServing { throw error }
            throw RikerError(.io, "cannot serve HTTP on \(configuration.host):\(configuration.port): \(error.userMessage)")
        }
    }

    /// The port the service listens on, once it does (the chosen one for port 0); nil if
    /// it stopped or could not start.
    public func listeningPort() async -> Int? { await bound.wait() }

    func serverBuilder() throws -> HTTPServerBuilder {
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [CloseAfterResponseHandler()],
                                               idleTimeout: .seconds(Int64(configuration.idleTimeout)))
        guard let certFile = configuration.tlsCertificate, let keyFile = configuration.tlsKey else { return .http1(configuration: http1) }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile.path)
            key = try NIOSSLPrivateKey(file: keyFile.path, format: .pem)
        } catch {
            throw RikerError(.invalidInput, "cannot read the TLS certificate \(certFile.path) or key \(keyFile.path) (PEM expected): \(error)")
        }
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        return try .tls(.http1(configuration: http1), tlsConfiguration: tls)
    }
}

/// The port once the server is up, for callers waiting on it.
final class BoundPort: @unchecked Sendable {
    private enum State { case starting, listening(Int), stopped }
    private let lock = NSLock()
    private var state = State.starting
    private var waiters: [CheckedContinuation<Int?, Never>] = []
    private var served = false
    /// True once the server has listened (a later failure is not a failure to start).
    var hasServed: Bool { lock.withLock { served } }

    func listening(_ port: Int) { settle(.listening(port)) }
    func stopped() { settle(.stopped) }

    private func settle(_ new: State) {
        let (resumed, port): ([CheckedContinuation<Int?, Never>], Int?) = lock.withLock {
            state = new
            if case .listening = new { served = true }
            defer { waiters = [] }
            if case .listening(let p) = new { return (waiters, p) }
            return (waiters, nil)
        }
        for w in resumed { w.resume(returning: port) }
    }

    func wait() async -> Int? {
        await withCheckedContinuation { c in
            let answer: Int?? = lock.withLock {
                switch state {
                case .starting: waiters.append(c); return nil
                case .listening(let p): return .some(p)
                case .stopped: return .some(nil)
                }
            }
            if let answer { c.resume(returning: answer) }
        }
    }
}
