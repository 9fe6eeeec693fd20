import Foundation
import Logging
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// When an unfinished API action counts as abandoned, and how it is recorded failed without
/// overwriting a live server's newer record.
@Suite struct APIActionLivenessTests {
    func action(host: String?, process: String?, heartbeat: Date?) -> APIAction {
        var a = APIAction(app: "web", env: "production", kind: "deploy", request: "ref main", requestedBy: "ci")
        a.status = .running; a.host = host; a.process = process; a.heartbeatAt = heartbeat
        return a
    }

    @Test func anActionIsAbandonedWhenItsProcessIsGoneOrItsHeartbeatIsOld() throws {
        let now = Date(), here = ProcessInfo.processInfo.hostName
        let me = try #require(ProcessIdentity.of(getpid())).description
        // A process that has exited (and been reaped) on this host.
        let exited = try sh("sh", ["-c", "echo $$"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!action(host: here, process: me, heartbeat: now).ownerIsGone(now: now, deadAfter: 120))
        #expect(action(host: here, process: "\(exited):1", heartbeat: now).ownerIsGone(now: now, deadAfter: 120))
        #expect(!action(host: "elsewhere", process: "1:1", heartbeat: now.addingTimeInterval(-60)).ownerIsGone(now: now, deadAfter: 120))
        #expect(action(host: "elsewhere", process: "1:1", heartbeat: now.addingTimeInterval(-121)).ownerIsGone(now: now, deadAfter: 120))
        var finished = action(host: "elsewhere", process: "1:1", heartbeat: now.addingTimeInterval(-3600))
        finished.status = .succeeded
        #expect(!finished.ownerIsGone(now: now, deadAfter: 120))
        // An older Riker's record (no heartbeat) counts from when it started.
        var legacy = action(host: nil, process: nil, heartbeat: nil)
        legacy.startedAt = now.addingTimeInterval(-600)
        #expect(legacy.ownerIsGone(now: now, deadAfter: 120))
    }

    @Test func aReadRecordsAnAbandonedActionFailedButNeverOverwritesANewerRecord() async throws {
        let dir = try TempDir("actions")
        defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        let runner = APIActionRunner(store: store, scratch: dir.path("scratch"), logger: Logger(label: "test"))
        let stale = action(host: "elsewhere", process: "1:1", heartbeat: Date().addingTimeInterval(-600))
        let key = APIAction.key(stale.app, stale.id)
        try await store.put(key, try JSONCoding.encode(stale), condition: .always)

        let read = try #require(try await runner.action(app: "web", id: stale.id))
        #expect(read.status == .failed && read.finishedAt != nil)
        #expect(read.error?.contains("stopped while this deploy was running") == true, "\(read.error ?? "")")
        let stored = try JSONCoding.decode(APIAction.self, from: try #require(try await store.get(key)).data, what: "action")
        #expect(stored.status == .failed && stored.error == read.error)

        // Its server beat between the read and the write: the heartbeat wins.
        let other = action(host: "elsewhere", process: "1:1", heartbeat: Date().addingTimeInterval(-600))
        let otherKey = APIAction.key(other.app, other.id)
        let seen = try #require(try await { () async throws -> StoredObject? in
            try await store.put(otherKey, try JSONCoding.encode(other), condition: .always)
            return try await store.get(otherKey)
        }())
        var beat = other
        beat.heartbeatAt = Date()
        try await store.put(otherKey, try JSONCoding.encode(beat), condition: .always)
        let settled = try await runner.settle(otherKey, seen)
        #expect(settled.status == .running && settled.error == nil)
        #expect(try await runner.action(app: "web", id: other.id)?.status == .running)
    }
}
