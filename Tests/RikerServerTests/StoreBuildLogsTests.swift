import Foundation
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// A webhook build's log is in the store while the build runs (the page and `builds:output`
/// follow it), and complete once it is over.
@Suite struct StoreBuildLogsTests {
    @Test func aRunningBuildsLogIsStoredAsItGrowsAndWhollyAtTheEnd() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        let logs = StoreBuildLogs(store: store, directory: dir.path("scratch"), interval: .milliseconds(50))
        let build = BuildRecord(app: "web", env: "production", branch: "main", ref: "refs/heads/main",
                                commit: String(repeating: "ab", count: 20), source: "webhook", createdBy: "test")
        let key = StoreLayout.buildLog("web", build.id)
        let output = logs.open(build)
        output.step("Building web")
        let stored = { (try? await store.get(key)).flatMap { $0.map { String(decoding: $0.data, as: UTF8.self) } } ?? "" }
        var seen = ""
        for _ in 0..<200 where !seen.contains("Building web") {
            seen = await stored()
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(seen == "-----> Building web\n", "the log is stored while the build runs")

        output.detail("done")
        await logs.finish(build, output: output)
        #expect(await stored() == "-----> Building web\n       done\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path("scratch/\(build.id).log").path))
    }
}
