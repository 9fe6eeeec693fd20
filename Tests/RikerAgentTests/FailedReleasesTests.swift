import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerAgent

/// `DIR/failures.json`: what a restarted agent remembers about failed releases.
struct FailedReleasesTests {
    @Test func aRecordedFailureIsThereAfterReloading() throws {
        let temp = try TempDir("failures")
        defer { temp.remove() }
        let file = temp.path("agent/failures.json")
        var failures = FailedReleases(file: file)
        try failures.record(release: 7, deploy: "d1", error: "web did not answer")
        try failures.record(release: 7, deploy: "d1", error: "web exited")

        let reloaded = FailedReleases(file: file)
        #expect(reloaded.entries.count == 1)
        #expect(reloaded.failure(release: 7, deploy: "d1")?.error == "web exited")
        #expect(reloaded.failure(release: 7, deploy: "d2") == nil)
        #expect(reloaded.failure(release: 8, deploy: "d1") == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
    }

    @Test func onlyTheNewestFailuresAreKept() throws {
        let temp = try TempDir("failures")
        defer { temp.remove() }
        var failures = FailedReleases(file: temp.path("failures.json"), limit: 3)
        for v in 1...5 { try failures.record(release: v, deploy: "d\(v)", error: "e") }
        let reloaded = FailedReleases(file: temp.path("failures.json"), limit: 3)
        #expect(reloaded.entries.map(\.release) == [3, 4, 5])
    }

    @Test func anUnreadableFileIsIgnoredWithAWarning() throws {
        let temp = try TempDir("failures")
        defer { temp.remove() }
        let file = temp.path("failures.json")
        try Data("{not json".utf8).write(to: file)
        var warnings: [String] = []
        var failures = FailedReleases(file: file) { warnings.append($0) }
        #expect(failures.entries.isEmpty)
        #expect(warnings.count == 1 && warnings[0].hasPrefix("ignoring \(file.path):"))
        try failures.record(release: 1, deploy: "d1", error: "e")
        #expect(FailedReleases(file: file).failure(release: 1, deploy: "d1") != nil)
    }
}
