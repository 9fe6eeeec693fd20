import Foundation
import RikerCore

/// A set of reusable `HTTPConnection`s shared by concurrent tasks, so keep-alive connections
/// survive between requests. Each request runs its blocking libcurl transfer on a thread of
/// its own, never on Swift's cooperative pool.
public final class HTTPConnectionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [HTTPConnection] = []
    private let maxIdle: Int

    /// Keeps at most `maxIdle` connections open between requests.
    public init(maxIdle: Int = 16) { self.maxIdle = maxIdle }

    /// Sends `request` on an idle connection (or a new one) and returns its response.
    public func perform(_ request: HTTPRequest, into sink: HTTPResponseSink = .memory) async throws -> HTTPResponse {
        let box = SinkBox(sink)
        return try await withCheckedThrowingContinuation { cont in
            let thread = Thread { [self] in
                cont.resume(with: Result { try self.performBlocking(request, into: box.sink) })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Same as `perform`, on the calling thread.
    public func performBlocking(_ request: HTTPRequest, into sink: HTTPResponseSink = .memory) throws -> HTTPResponse {
        let connection = try checkOut()
        // A connection whose transfer failed is dropped rather than reused.
        let response = try connection.perform(request, into: sink)
        checkIn(connection)
        return response
    }

    private func checkOut() throws -> HTTPConnection {
        lock.lock()
        let c = idle.popLast()
        lock.unlock()
        return try c ?? HTTPConnection()
    }

    private func checkIn(_ c: HTTPConnection) {
        lock.lock()
        if idle.count < maxIdle { idle.append(c) }
        lock.unlock()
    }
}

/// Carries a sink (whose observer closure is not `Sendable`) to the transfer thread.
private final class SinkBox: @unchecked Sendable {
    let sink: HTTPResponseSink
    init(_ sink: HTTPResponseSink) { self.sink = sink }
}
