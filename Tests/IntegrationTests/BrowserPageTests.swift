import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// The live page in a real browser (headless Chromium through Selenium, `Tests/Browser/live_page.py`):
/// it logs in, watches a deploy to an Auto Scaling group of 3 agents move batch by batch,
/// saves a screenshot mid-deploy, and clicks Rollback.
@Suite(.serialized) struct BrowserPageTests {
    static let browserFiles = ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"]

    @Test func aDeployMovesBatchByBatchInTheBrowserAndRollbackPutsTheOldReleaseBack() throws {
        for file in Self.browserFiles {
            try #require(FileManager.default.isExecutableFile(atPath: file),
                         "\(file) is missing: the browser test needs Debian's chromium, chromium-driver and python3-selenium (run script/bootstrap)")
        }
        try #require(try sh("/usr/bin/python3", ["-c", "import selenium"]).succeeded,
                     "python3-selenium is missing: run script/bootstrap")

        let s = try ASGDeployTests().setUp(size: 3, settings: ["deploy.batch=1", "deploy.min_healthy=60", "deploy.drain_seconds=1"])
        defer { s.stop() }
        let first = try s.server.push(s.repo.url, app: "web")
        #expect(first.succeeded, "\(first.output)")
        #expect(s.fleet.waitAll(s.ids, serve: "v1"))

        // v2 waits before it listens, so each batch shows a while; pushed to a branch that
        // deploys nowhere, so the browser's API call starts its deploy.
        try s.commit("v2", procfile: "web: sleep 2 && exec python3 -m http.server $PORT\n")
        let stored = try s.server.push(s.repo.url, app: "web", refspec: "HEAD:refs/heads/next")
        #expect(stored.succeeded, "\(stored.output)")
        let token = try s.server.addToken("browser", ["--app", "web"])

        let artifacts = packageRoot().appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("live-page-mid-deploy.png")
        try? FileManager.default.removeItem(at: screenshot)
        let pids = s.server.dir.path("browser.pids")
        defer { Self.killAll(listedIn: pids) }
        let script = packageRoot().appendingPathComponent("Tests/Browser/live_page.py")
        let run = try sh("/usr/bin/python3", [script.path, "--base", s.server.httpBase, "--app", "web", "--env", "production",
                                             "--ref", "next", "--rollback-to", "1", "--screenshot", screenshot.path, "--pids", pids.path],
                         env: ["RIKER_PAGE_TOKEN": token], timeout: 900)
        #expect(run.succeeded, "\(run.output.suffix(4000))")
        print("live page screenshot mid-deploy: \(screenshot.path)")

        let summaryLine = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(run.output.suffix(2000))")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])
        let sequence = summary["sequence"] as? [[String: Any]] ?? []
        // Each moment: [batch, instance, state]; batch 0 is "not started yet".
        let moments = sequence.map { ($0["instances"] as? [[Any]] ?? []).map { ($0[0] as? Int ?? -1, $0[1] as? String ?? "", $0[2] as? String ?? "") } }
        print("states seen in the browser, batch:state per instance (0: not started):")
        for m in moments { print("  " + m.map { "\($0.0):\($0.2)" }.joined(separator: " ")) }
        #expect(moments.contains { m in m.contains { $0.2 == "healthy" } && m.contains { $0.2 == "waiting" } },
                "a moment with one batch healthy and another still waiting: \(sequence)")
        // Batch by batch: whenever batch N+1 is on the page, batch N is healthy.
        for m in moments {
            let batches = Set(m.map(\.0).filter { $0 > 0 })
            for b in batches where b > 1 {
                #expect(m.filter { $0.0 == b - 1 }.allSatisfy { $0.2 == "healthy" }, "batch \(b) started before \(b - 1) was healthy: \(m)")
            }
        }
        let last = try #require(moments.last)
        #expect(Set(last.filter { $0.0 > 0 }.map(\.1)) == Set(s.ids) && last.allSatisfy { $0.2 == "healthy" }, "\(last)")
        #expect(Set(last.map(\.0)) == [1, 2, 3], "three batches of one: \(last)")
        #expect(summary["deployed"] as? Int == 2)
        #expect(summary["rolled_back_release"] as? Int == 3, "\(summary)")
        #expect((summary["top_release_row"] as? String ?? "").contains("Rollback to v1"), "\(summary)")

        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]) && png.count > 10_000, "a real PNG at \(screenshot.path)")
        #expect(s.fleet.waitAll(s.ids, serve: "v1"), "after the rollback every instance serves v1 again")
        #expect(!Self.anyAlive(listedIn: pids), "chromium and chromedriver are gone")
    }

    static func pids(in file: URL) -> [pid_t] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Whether any listed process still runs (a zombie does not count).
    static func anyAlive(listedIn file: URL) -> Bool {
        pids(in: file).contains { pid in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            return !status.contains("zombie")
        }
    }

    /// The browser processes the script started, killed by pid if the script could not.
    static func killAll(listedIn file: URL) {
        for pid in pids(in: file) where pid > 1 { kill(pid, SIGKILL) }
    }
}
