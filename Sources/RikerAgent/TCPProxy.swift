import Foundation
import NIOCore
import NIOPosix
import RikerCore

/// The agent's public listener: forwards every TCP connection to the current release's web
/// process on 127.0.0.1. Switching releases only changes `target`, so the port never stops
/// listening; connections already open keep going to the release they started on.
/// While there is no target, connections are accepted and closed at once.
final class TCPProxy: @unchecked Sendable {
    private let state: ProxyState
    private let channel: Channel
    /// The port actually bound (the requested one, or the kernel's choice for port 0).
    let port: Int

    private init(channel: Channel, port: Int, state: ProxyState) { self.channel = channel; self.port = port; self.state = state }

    /// Binds `host:port`. Throws if the port is taken.
    static func start(host: String, port: Int) async throws -> TCPProxy {
        let state = ProxyState()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(FrontHandler(state: state))
            }
        let channel: Channel
        do { channel = try await bootstrap.bind(host: host, port: port).get() } catch {
            throw RikerError(.io, "cannot listen on \(host):\(port): \(error)")
        }
        return TCPProxy(channel: channel, port: channel.localAddress?.port ?? port, state: state)
    }

    /// The internal port new connections go to; nil closes them.
    var target: Int? {
        get { state.target }
        set { state.target = newValue }
    }

    /// Connections open right now to `port` (to wait for a drain before stopping a release).
    func activeConnections(to port: Int) -> Int { state.active(port) }

    /// Stops listening. Open connections finish on their own.
    func close() async {
        try? await channel.close().get()
    }
}

/// The proxy's shared, lock-protected state: the target and connection counts per target.
final class ProxyState: @unchecked Sendable {
    private let lock = NSLock()
    private var _target: Int?
    private var counts: [Int: Int] = [:]

    var target: Int? {
        get { lock.withLock { _target } }
        set { lock.withLock { _target = newValue } }
    }

    /// The target for a new connection, counted as open until `release` is called.
    func acquire() -> Int? {
        lock.withLock {
            guard let t = _target else { return nil }
            counts[t, default: 0] += 1
            return t
        }
    }

    func release(_ port: Int) { lock.withLock { counts[port, default: 1] -= 1 } }

    func active(_ port: Int) -> Int { lock.withLock { counts[port] ?? 0 } }
}

/// First handler of an accepted connection: picks the target, connects to it, then relays.
private final class FrontHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let state: ProxyState

    init(state: ProxyState) { self.state = state }

    func channelActive(context: ChannelHandlerContext) {
        guard let port = state.acquire() else {
            context.close(promise: nil)
            return
        }
        let front = context.channel
        let state = self.state
        ClientBootstrap(group: context.eventLoop)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { backend in backend.pipeline.addHandler(RelayHandler(partner: front)) }
            .connect(host: "127.0.0.1", port: port)
            .whenComplete { result in
                switch result {
                case .success(let backend):
                    backend.closeFuture.whenComplete { _ in state.release(port) }
                    guard front.isActive else { backend.close(promise: nil); return }
                    front.pipeline.addHandler(RelayHandler(partner: backend)).whenComplete { added in
                        if case .failure = added { backend.close(promise: nil); front.close(promise: nil); return }
                        front.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in front.close(promise: nil) }
                    }
                case .failure:
                    state.release(port)
                    front.close(promise: nil)
                }
            }
        context.fireChannelActive()
    }
}

/// Copies bytes from its channel to `partner`, with backpressure and TCP half-close passed on.
private final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let partner: Channel

    init(partner: Channel) { self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.write(unwrapInboundIn(data), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Stop reading from the partner while this side cannot keep up.
        partner.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed {
            // Our peer finished sending: finish sending to the partner once its pending bytes are out.
            let partner = self.partner
            let done = context.eventLoop.makePromise(of: Void.self)
            partner.close(mode: .output, promise: done)
            done.futureResult.whenFailure { _ in partner.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
