import Foundation
import RikerCore
import RikerHTTP
import RikerTestSupport
import Testing

/// `/metrics` of a real `riker serve`: Prometheus text that promtool accepts, counting the
/// deploys of SSH pushes (made in the pre-receive hook, another process) from the store.
@Suite(.serialized)
struct MetricsTests {
    /// The scraped samples: `name{label="v",…}` (labels sorted) → value.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = String(line[..<space])
            guard let brace = series.firstIndex(of: "{") else { samples[series] = value; continue }
            let labels = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                .split(separator: ",").map(String.init).sorted().joined(separator: ",")
            samples["\(series[..<brace]){\(labels)}"] = value
        }
        return samples
    }

    /// GETs /metrics and checks it with `promtool check metrics`.
    static func scrape(_ server: RikerServer) throws -> String {
        let r = try HTTPClient.perform(HTTPRequest(url: server.httpBase + "/metrics", timeout: 30))
        #expect(r.status == 200)
        #expect(r.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: r.body, as: UTF8.self)
        let check = try sh("promtool", ["check", "metrics"], stdin: text)
        #expect(check.succeeded, "promtool: \(check.output)\n\(text)")
        return text
    }

    @Test func metricsScrapeCleanlyAndCountAPushsDeployFromTheStore() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let before = Self.samples(try Self.scrape(server))
        #expect(before["riker_webhook_queue_depth"] == 0)
        #expect(before["riker_deploys_total{app=\"met\",env=\"production\",outcome=\"succeeded\"}"] == nil)

        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let push = try server.push(repo.url, app: "met")
        #expect(push.succeeded, "\(push.output)")

        let text = try Self.scrape(server)
        let after = Self.samples(text)
        #expect(after["riker_deploys_total{app=\"met\",env=\"production\",outcome=\"succeeded\"}"] == 1, "\(text)")
        #expect(after["riker_deploy_duration_seconds_count"] == 1, "\(text)")
        #expect(after["riker_deploys_running{app=\"met\",env=\"production\"}"] == 0)
        #expect(after["riker_agents{app=\"met\",env=\"production\",state=\"running\"}"] == 1, "\(text)")
        #expect(after["riker_agents_healthy{app=\"met\",env=\"production\"}"] == 1, "\(text)")
        #expect((after["riker_store_requests_total{operation=\"list\"}"] ?? 0) > 0)
        #expect(after["riker_metrics_scan_errors_total"] == nil)

        // A second scrape counts the same deploy once.
        #expect(Self.samples(try Self.scrape(server))["riker_deploys_total{app=\"met\",env=\"production\",outcome=\"succeeded\"}"] == 1)
    }
}
