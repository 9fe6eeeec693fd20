import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RikerCore

/// How a `SyslogDrain` queues and reconnects.
public struct SyslogDrainOptions: Sendable {
    /// Lines waiting while the drain is slow or down; beyond this the oldest are dropped and counted.
    public var maxQueuedLines = 10_000
    /// PEM file of the certificates to trust for `syslog+tls` (the system's roots when nil).
    public var caFile: String?
    /// Seconds before the first reconnection attempt; doubles per failure up to `maxBackoff`.
    public var initialBackoff: Double = 0.5
    public var maxBackoff: Double = 30
    public var connectTimeout: Double = 10
    /// Lines per write.
    public var batchLines = 512

    public init() {}
}

/// Forwards an instance's log lines to a syslog server (`logs.drain=syslog+tcp://…` or
/// `syslog+tls://…`) as RFC 5424 messages with octet-counted framing (`SyslogMessage`).
///
/// `receive` only queues (bounded, dropping the oldest and counting them), so a drain that is
/// down or slow never holds up the app. The connection lives on a NIO event loop: it is
/// opened by `start()`, and reopened after any failure with exponential backoff. At most one
/// write is in flight; lines of a write that fails are counted as dropped (syslog over TCP
/// cannot tell what the server kept).
public final class SyslogDrain: LogSink, @unchecked Sendable {
    public let url: DrainURL
    public let app: String
    /// HOSTNAME for lines that carry no instance.
    public let hostname: String
    public let options: SyslogDrainOptions

    private let eventLoop: EventLoop
    private let sslContext: NIOSSLContext?
    private let queue: BoundedLineQueue
    private let logger: Logger

    // Event-loop state.
    private var channel: Channel?
    private var connecting = false
    private var writing = false
    private var closed = false
    private var backoff: Double
    private var failing = false

    private let lock = NSLock()
    private var pumpScheduled = false
    private var counters = Stats()

    /// What the drain has done so far.
    public struct Stats: Sendable, Equatable {
        /// Lines handed to the connection and written to the socket.
        public var sentLines = 0
        /// Lines lost: dropped from the full queue, or in a write that failed.
        public var droppedLines = 0
        /// Connections made (the first one and every reconnection).
        public var connects = 0
        public var failedConnects = 0
        public var connected = false
    }

    /// Makes a drain; nothing is connected before `start()`.
    /// Throws `.invalidInput` when the TLS settings cannot be used (an unreadable CA file).
    public init(url: DrainURL, app: String, hostname: String, options: SyslogDrainOptions = SyslogDrainOptions(),
                eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = RikerLogging.logger("drain")) throws {
        self.url = url; self.app = app; self.hostname = hostname; self.options = options
        eventLoop = eventLoopGroup.next()
        queue = BoundedLineQueue(maxLines: max(1, options.maxQueuedLines))
        backoff = options.initialBackoff
        var logger = logger
        logger[metadataKey: "drain"] = "\(url)"
        self.logger = logger
        if url.transport == .tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let ca = options.caFile { tls.trustRoots = .file(ca) }
            do { sslContext = try NIOSSLContext(configuration: tls) } catch {
                throw RikerError(.invalidInput, "cannot set up TLS for the log drain \(url): \(error) (check the CA file \(options.caFile ?? "-"))")
            }
        } else {
            sslContext = nil
        }
    }

    public var stats: Stats {
        var s = lock.withLock { counters }
        s.droppedLines += queue.dropped
        return s
    }

    /// Opens the connection (and keeps reopening it) until `close()`.
    public func start() {
        eventLoop.execute { self.connect() }
    }

    public func receive(_ lines: [LogLine]) {
        queue.append(contentsOf: lines)
        let schedule: Bool = lock.withLock {
            if pumpScheduled { return false }
            pumpScheduled = true
            return true
        }
        if schedule {
            eventLoop.execute {
                self.lock.withLock { self.pumpScheduled = false }
                self.pump()
            }
        }
    }

    /// Sends what is queued (waiting up to `timeout` seconds while connected), then closes the
    /// connection and stops reconnecting. Lines still queued then are counted as dropped.
    public func close(timeout: Double = 2) async {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, stats.connected {
            let busy = await onLoop { self.writing }
            if queue.isEmpty && !busy { break }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        let channel: Channel? = await onLoop {
            self.closed = true
            return self.channel
        }
        try? await channel?.close().get()
        let left = queue.take().count
        lock.withLock { counters.droppedLines += left; counters.connected = false }
    }

    // MARK: - On the event loop

    private func onLoop<T>(_ body: @escaping @Sendable () -> T) async -> T {
        // `submit` only fails when the loop is shut down; then nothing else runs there either.
        (try? await eventLoop.submit(body).get()) ?? body()
    }

    private func connect() {
        guard !closed, channel == nil, !connecting else { return }
        connecting = true
        let ssl = sslContext
        let host = url.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.milliseconds(Int64(options.connectTimeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let ssl {
                        let sni = Self.isIPAddress(host) ? nil : host
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: ssl, serverHostname: sni))
                    }
                    try channel.pipeline.syncOperations.addHandler(ConnectionWatcher { [weak self] event in self?.handle(event, on: channel) })
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { [self] result in
            connecting = false
            switch result {
            case .success(let ch):
                if closed { ch.close(promise: nil); return }
                guard ch.isActive else { scheduleReconnect(); return }
                channel = ch
                backoff = options.initialBackoff
                if failing { logger.info("log drain connected again") }
                failing = false
                lock.withLock { counters.connects += 1; counters.connected = true }
                pump()
            case .failure(let error):
                lock.withLock { counters.failedConnects += 1 }
                if !failing { logger.warning("cannot connect to the log drain \(url): \(error); retrying with backoff") }
                failing = true
                scheduleReconnect()
            }
        }
    }

    private func handle(_ event: ConnectionWatcher.Event, on ch: Channel) {
        switch event {
        case .closed:
            guard channel === ch else { return }
            channel = nil
            lock.withLock { counters.connected = false }
            if !closed {
                if !failing { logger.warning("the log drain \(url) closed the connection; reconnecting") }
                failing = true
                scheduleReconnect()
            }
        case .error(let error):
            if !failing { logger.warning("log drain \(url): \(error)") }
            ch.close(promise: nil)
        case .writable:
            pump()
        }
    }

    private func scheduleReconnect() {
        guard !closed else { return }
        let delay = backoff
        backoff = min(backoff * 2, options.maxBackoff)
        eventLoop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) { self.connect() }
    }

    /// Writes the next batch if connected and no write is in flight.
    private func pump() {
        guard let ch = channel, ch.isActive, ch.isWritable, !writing else { return }
        let batch = queue.take(maxLines: options.batchLines)
        guard !batch.isEmpty else { return }
        var buffer = ch.allocator.buffer(capacity: batch.reduce(0) { $0 + $1.text.utf8.count + 96 })
        for line in batch { buffer.writeBytes(SyslogMessage.frame(line, app: app, hostname: hostname)) }
        writing = true
        ch.writeAndFlush(buffer).whenComplete { [self] result in
            writing = false
            lock.withLock {
                if case .success = result { counters.sentLines += batch.count } else { counters.droppedLines += batch.count }
            }
            pump()
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// Last handler of a drain connection: discards what the server sends, reports close,
/// errors and writability back to the drain.
private final class ConnectionWatcher: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    enum Event { case closed, error(Error), writable }
    private let report: (Event) -> Void

    init(report: @escaping (Event) -> Void) { self.report = report }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        report(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        report(.error(error))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { report(.writable) }
        context.fireChannelWritabilityChanged()
    }
}
