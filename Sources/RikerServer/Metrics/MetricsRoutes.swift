import Foundation
import HTTPTypes
import Hummingbird
import RikerCore

/// `GET /metrics`: `ServerMetrics` in Prometheus's text format, the store-derived ones
/// brought up to date by a `StoreMetricsScan` first.
///
/// The metrics name every app, so by default a scrape needs a bearer API token that covers
/// every app (made without `--app`; `--read-only` is enough). With `auth` nil (riker.conf
/// `metrics_auth=none`) anyone who reaches the port may scrape.
public struct MetricsRoutes: HTTPRoutes {
    public let metrics: ServerMetrics
    public let scan: StoreMetricsScan
    public let auth: BearerAuth?

    public init(metrics: ServerMetrics, scan: StoreMetricsScan, auth: BearerAuth?) {
        self.metrics = metrics; self.scan = scan; self.auth = auth
    }

    public func register(on router: Router<ServerRequestContext>) {
        router.get("/metrics") { request, _ -> Response in
            if let auth {
                let token = try await auth.authenticate(request)
                guard token.apps.isEmpty else {
                    throw APIError(.forbidden, "token \(token.name) covers only some apps and the metrics name every app: scrape with a token made without --app (riker tokens:add prometheus --read-only)")
                }
            }
            await scan.refresh()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}

/// riker.conf `metrics_auth`: `token` (the default) or `none`.
public enum MetricsAuthSetting {
    public static let key = "metrics_auth"

    /// Whether `/metrics` wants a token; throws `.invalidInput` for a value that is neither.
    public static func requiresToken(_ value: String?) throws -> Bool {
        switch value?.trimmingCharacters(in: .whitespaces) ?? "" {
        case "", "token": return true
        case "none": return false
        case let other:
            throw RikerError(.invalidInput, "riker.conf: \(key)=\(other.prefix(40)) is not a choice: use \(key)=token (the default: scrapes send an API token) or \(key)=none (open to anyone who reaches the port)")
        }
    }
}
