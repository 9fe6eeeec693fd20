import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Server-sent events for the page (`text/event-stream`).
///
/// A stream polls with `tick` every `interval` and sends what it returns. It ends when `tick`
/// says so, when the client goes away (the next write fails; a comment is written every few
/// seconds so a silent stream notices too), when the request task is cancelled, and on
/// graceful shutdown, so `riker serve` stops promptly with pages open.
enum PageEvents {
    enum Step {
        /// Nothing new.
        case idle
        /// Send these events.
        case send([String])
        /// Send these events, then end the stream.
        case end([String])
    }

    static let heartbeat: Duration = .seconds(5)

    /// One event: `event: NAME` and the text as `data:` lines (the client joins them with `\n`).
    static func event(_ name: String, _ text: String) -> String {
        var out = "event: \(name)\n"
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { out += "data: \(line)\n" }
        return out + "\n"
    }

    static func response(interval: Duration = .milliseconds(500), _ tick: @escaping @Sendable () async throws -> Step) -> Response {
        var headers = HTML.securityHeaders(nonce: nil)
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.init("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            let clock = ContinuousClock()
            var quietSince = clock.now
            loop: while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let step = try await tick()
                switch step {
                case .idle:
                    if clock.now - quietSince > heartbeat {
                        try await writer.write(ByteBuffer(string: ": still here\n\n"))
                        quietSince = clock.now
                    }
                case .send(let events):
                    try await writer.write(ByteBuffer(string: events.joined()))
                    quietSince = clock.now
                case .end(let events):
                    if !events.isEmpty { try await writer.write(ByteBuffer(string: events.joined())) }
                    break loop
                }
                try? await Task.sleep(for: interval)
            }
            try await writer.finish(nil)
        })
    }
}
