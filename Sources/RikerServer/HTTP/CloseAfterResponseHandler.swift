import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends a connection after an answer that says `Connection: close`, without waiting for the
/// rest of the request body: a refusal (413, 401, …) is sent, then the write side is shut
/// down so the client sees the whole answer and stops sending. What the client still sends
/// is discarded, up to `discardLimit` bytes; past that the connection is closed outright.
///
/// Hummingbird would otherwise read an unread body to its end before the next request,
/// which for a 26 MB refusal means reading all of it.
final class CloseAfterResponseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let discardLimit = 1 << 20

    private var closeAfterEnd = false
    private var outputClosed = false
    private var discarded = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterEnd = true }
            context.write(data, promise: promise)
        case .end where closeAfterEnd:
            closeAfterEnd = false
            outputClosed = true
            context.writeAndFlush(data, promise: promise)
            context.close(mode: .output, promise: nil)
        default:
            context.write(data, promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if outputClosed, case .body(let chunk) = unwrapInboundIn(data) {
            discarded += chunk.readableBytes
            if discarded > Self.discardLimit {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }
}
