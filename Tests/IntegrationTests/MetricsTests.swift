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

    /// GETs /metrics (with `token` as a bearer token) and checks it with `promtool check metrics`.
    static func scrape(_ server: RikerServer, token: String?) throws -> String {
        let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
        let r = try HTTPClient.perform(HTTPRequest(url: server.httpBase + "/metrics", headers: headers, timeout: 30))
        #expect(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
        #expect(r.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: r.body, as: UTF8.self)
        let check = try sh("promtool", ["check", "metrics"], stdin: text)
        #expect(check.succeeded, "promtool: \(check.output)\n\(text)")
        return text
    }

    @Test func metricsScrapeCleanlyAndCountAPushsDeployFromTheStore() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let prometheus = try server.addToken("prometheus", ["--read-only"])
        let before = Self.samples(try Self.scrape(server, token: prometheus))
        #expect(before["riker_webhook_queue_depth"] == 0)
        #expect(before["riker_deploys_total{app=\"met\",env=\"production\",outcome=\"succeeded\"}"] == nil)

        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let push = try server.push(repo.url, app: "met")
        #expect(push.succeeded, "\(push.output)")

        let text = try Self.scrape(server, token: prometheus)
        let after = Self.samples(text)
        #expect(after["riker_deploys_total{app=\"met\",env=\"production\",outcome=\"succeeded\"}"] == 1, "\(text)")
        #expect(after["riker_deploy_duration_seconds_count"] == 1, "\(text)")
        #expect(after["riker_deploys_running{app=\"met\",env=\"production\"}"] == 0)
        #expect(after["riker_agents{app=\"met\",env=\"production\",state=\"running\"}"] == 1, "\(text)")
        #expect(after["riker_agents_healthy{app=\"met\",env=\"production\"}"] == 1, "\(text)")
        #expect((after["riker_store_requests_total{operation=\"list\"}"] ?? 0) > 0)
        #expect(after["riker_metrics_scan_errors_total"] == nil)

        // A second scrape counts the same deploy once.
        #expect(Self.samples(try Self.scrape(server, token: prometheus))["riker_deploys_total{app=\"met\",env=\"production\",outcome=\"succeeded\"}"] == 1)
    }

    @Test func metricsWantATokenOfEveryAppUnlessRikerConfOpensThem() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let api = APIClient(server: server)
        #expect(try server.riker(["apps:create", "met"]).succeeded)
        let scoped = try server.addToken("met-only", ["--app", "met", "--read-only"])
        let none = try api.get("/metrics", token: nil)
        #expect(none.status == 401 && none.error.contains("Bearer") && !none.text.contains("riker_"), "\(none)")
        #expect(try api.get("/metrics", token: "riker_" + String(repeating: "0", count: 64)).status == 401)
        let partial = try api.get("/metrics", token: scoped)
        #expect(partial.status == 403 && partial.error.contains("without --app"), "\(partial)")

        // riker.conf metrics_auth=none: open to whoever reaches the port (a private network's scraper).
        try AtomicFile.write(Data("metrics_auth=none\n".utf8), to: server.root.appendingPathComponent("riker.conf"), mode: 0o600)
        try server.restartServe()
        _ = try Self.scrape(server, token: nil)
        // The API itself still wants its tokens.
        #expect(try api.get("/api/apps", token: nil).status == 401)

        // A value that is neither choice stops serve from starting, saying what to write.
        server.stopProcesses()
        try AtomicFile.write(Data("metrics_auth=open\n".utf8), to: server.root.appendingPathComponent("riker.conf"), mode: 0o600)
        try? FileManager.default.removeItem(at: server.root.appendingPathComponent("serve.pid"))
        let refused = try sh("timeout", ["60", server.bin.appendingPathComponent("riker").path, "--root", server.root.path, "serve", "--listen", "127.0.0.1:0"],
                             env: ["RIKER_HOME": packageRoot().path])
        #expect(!refused.succeeded && refused.output.contains("metrics_auth=token"), "\(refused.output)")
    }
}
