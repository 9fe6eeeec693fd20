import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One log line per request, after it is answered: method, path (no query), status,
/// duration and the GitHub delivery id. Never bodies, headers or query strings, which can
/// carry secrets.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var deliveryHeader: HTTPField.Name { HTTPField.Name("X-GitHub-Delivery")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.rawValue),
            "http.path": .string(String(request.uri.path.prefix(200))),
        ]
        if let delivery = request.headers[Self.deliveryHeader].flatMap(DeliveryID.sanitized) {
            metadata["delivery"] = .string(delivery)
        }
        do {
            let response = try await next(request, context)
            metadata["http.status"] = .stringConvertible(response.status.code)
            metadata["duration_ms"] = .string(Self.milliseconds(since: start))
            context.logger.info("request", metadata: metadata)
            return response
        } catch {
            // Errors are answered by the inner middleware; this only sees failures it let through.
            metadata["http.status"] = "500"
            metadata["duration_ms"] = .string(Self.milliseconds(since: start))
            context.logger.info("request", metadata: metadata)
            throw error
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> String {
        let d = ContinuousClock.now - start
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return String(format: "%.1f", ms)
    }
}
