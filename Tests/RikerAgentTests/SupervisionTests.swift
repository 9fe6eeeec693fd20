import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

struct SupervisionTests {
    @Test func quickCrashesDoubleTheRestartDelayUpToThirtySeconds() throws {
        let temp = try TempDir("riker-supervision")
        defer { temp.remove() }
        let registry = ProcessRegistry(file: temp.path("processes.json"), logger: RikerLogging.logger("test"))
        let p = AppProcess(type: "worker", release: 1, spec: ProcessSpec("/bin/sh", ["-c", "echo crashing; exit 2"]),
                           logFile: temp.path("worker.log"))
        var delays: [Double] = []
        for _ in 0..<7 {
            if p.child == nil { try p.start(registry: registry) } else { try p.restart(registry: registry) }
            _ = p.child?.wait()
            let status = try #require(p.checkExited(registry: registry))
            #expect(status.code == 2)
            #expect(!p.dueForRestart())
            delays.append(p.backoff)
        }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30])
        #expect(registry.current.isEmpty)
        #expect(p.logTail() == ["crashing"])
    }

    @Test func aLongRunBeforeTheCrashResetsTheDelay() throws {
        let temp = try TempDir("riker-supervision")
        defer { temp.remove() }
        let registry = ProcessRegistry(file: temp.path("processes.json"), logger: RikerLogging.logger("test"))
        let p = AppProcess(type: "worker", release: 1, spec: ProcessSpec("/bin/sh", ["-c", "exit 1"]), logFile: temp.path("w.log"))
        try p.start(registry: registry)
        _ = p.child?.wait()
        _ = p.checkExited(registry: registry)
        try p.restart(registry: registry)
        _ = p.child?.wait()
        _ = p.checkExited(registry: registry)
        #expect(p.backoff == 2)
        try p.restart(registry: registry)
        _ = p.child?.wait()
        _ = p.checkExited(registry: registry, now: Date().addingTimeInterval(AppProcess.stableUptime + 1))
        #expect(p.backoff == 1)
    }
}

@Suite(.serialized)
struct ReleasePruningTests {
    @Test func onlyTheLastFiveReleaseDirsAreKept() async throws {
        try await withHarness { h in
            for _ in 1...7 { try await h.release(files: ["work.sh": "sleep 600\n"], processes: ["worker": "bash work.sh"]) }
            h.startAgent()
            for v in 1...7 {
                try await h.setDesired(v, deploy: "d\(v)")
                try await h.waitRunning(v, deploy: "d\(v)")
            }
            // Pruning follows the `running` report, so give it a moment.
            let releases = h.agentDir.appendingPathComponent("releases").path
            let dirs = { Set((try? FileManager.default.contentsOfDirectory(atPath: releases)) ?? []) }
            #expect(await h.eventually(timeout: 5) { dirs() == ["v3", "v4", "v5", "v6", "v7"] }, "release dirs: \(dirs())")
            // All seven slugs are identical, so one cached copy serves them all.
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.agentDir.appendingPathComponent("cache").path).count == 1)
        }
    }
}
