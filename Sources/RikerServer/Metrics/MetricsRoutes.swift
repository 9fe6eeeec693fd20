import Foundation
import HTTPTypes
import Hummingbird

/// `GET /metrics`: `ServerMetrics` in Prometheus's text format, the store-derived ones
/// brought up to date by a `StoreMetricsScan` first.
public struct MetricsRoutes: HTTPRoutes {
    public let metrics: ServerMetrics
    public let scan: StoreMetricsScan

    public init(metrics: ServerMetrics, scan: StoreMetricsScan) { self.metrics = metrics; self.scan = scan }

    public func register(on router: Router<ServerRequestContext>) {
        router.get("/metrics") { _, _ -> Response in
            await scan.refresh()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}
