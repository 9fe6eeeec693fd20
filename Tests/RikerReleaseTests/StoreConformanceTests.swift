import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing

/// The guarantees every `ReleaseStore` gives, run against each implementation
/// (the S3 one against a real moto_server with signature checking on).
@Suite struct StoreConformanceTests {
    func isPrecondition(_ e: any Error) -> Bool { (e as? RikerError)?.code == .preconditionFailed }

    @Test(arguments: StoreKind.allCases)
    func putGetHeadListDelete(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        #expect(try await s.get("apps/web/app.json") == nil)
        #expect(try await s.head("apps/web/app.json") == nil)
        let etag = try await s.put("apps/web/app.json", Data("{}\n".utf8), condition: .always)
        let got = try #require(try await s.get("apps/web/app.json"))
        #expect(got.data == Data("{}\n".utf8))
        #expect(got.etag == etag)
        #expect(try await s.head("apps/web/app.json")?.size == 3)
        try await s.put("apps/web/production/config.env", Data("A=1\n".utf8), condition: .always)
        try await s.put("apps/web/staging/config.env", Data("A=2\n".utf8), condition: .always)
        try await s.put("apps/other/app.json", Data("{}\n".utf8), condition: .always)
        #expect(try await s.list(prefix: "apps/web/").map(\.key) == ["apps/web/app.json", "apps/web/production/config.env", "apps/web/staging/config.env"])
        #expect(try await s.listChildren(prefix: "apps/web/") == ["app.json", "production", "staging"])
        #expect(try await s.listChildren(prefix: "apps/") == ["other", "web"])
        try await s.delete("apps/web/app.json")
        #expect(try await s.get("apps/web/app.json") == nil)
        try await s.delete("apps/web/app.json")  // absent: not an error
        await #expect(throws: RikerError.self) { try await s.put("../escape", Data(), condition: .always) }
    }

    @Test(arguments: StoreKind.allCases)
    func ifAbsentClaimsOnceAndIfMatchSwapsOnlyTheSeenVersion(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        let first = try await s.put("k", Data("one".utf8), condition: .ifAbsent)
        await #expect { try await s.put("k", Data("two".utf8), condition: .ifAbsent) } throws: { isPrecondition($0) }
        #expect(try await s.get("k")?.data == Data("one".utf8))
        let second = try await s.put("k", Data("two".utf8), condition: .ifMatch(first))
        #expect(second != first)
        await #expect { try await s.put("k", Data("three".utf8), condition: .ifMatch(first)) } throws: { isPrecondition($0) }
        #expect(try await s.get("k")?.data == Data("two".utf8))
        await #expect { try await s.put("missing", Data("x".utf8), condition: .ifMatch(first)) } throws: { isPrecondition($0) }
    }

    @Test(arguments: StoreKind.allCases)
    func conditionalReadIsCheapWhenUnchanged(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        #expect(try await s.get("desired", ifNoneMatch: "\"nothing\"") == .absent)
        let etag = try await s.put("desired", Data("v1".utf8), condition: .always)
        #expect(try await s.get("desired", ifNoneMatch: etag) == .unchanged)
        let newTag = try await s.put("desired", Data("v2".utf8), condition: .always)
        #expect(try await s.get("desired", ifNoneMatch: etag) == .changed(StoredObject(data: Data("v2".utf8), etag: newTag)))
    }

    @Test(arguments: StoreKind.allCases)
    func racingReleaseClaimsGetDistinctVersions(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 { group.addTask { try await s.createRelease(draft(description: "racer \(i)")).version } }
            var out: [Int] = []
            for try await v in group { out.append(v) }
            return out
        }
        #expect(versions.sorted() == Array(1...8))
        let stored = try await s.releases("web", "production")
        #expect(stored.count == 8)
        #expect(Set(stored.map(\.description)).count == 8, "no release overwrote another")
    }

    @Test(arguments: StoreKind.allCases)
    func currentMovesOnlyByCompareAndSwap(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        #expect(try await s.current("web", "production").version == nil)
        let t1 = try await s.setCurrent("web", "production", to: 1, expected: nil)
        await #expect { try await s.setCurrent("web", "production", to: 9, expected: nil) } throws: { isPrecondition($0) }
        // Two servers saw v1 and race to move it: exactly one wins.
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for v in [2, 3] { group.addTask { (try? await s.setCurrent("web", "production", to: v, expected: t1)) != nil } }
            var out: [Bool] = []
            for await ok in group { out.append(ok) }
            return out
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect([2, 3].contains(try await s.current("web", "production").version ?? 0))
    }

    @Test(arguments: StoreKind.allCases)
    func deployLockExcludesWhileItsLeaseRuns(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        let etag = try await s.acquireLock("web", "production", holder: "server-a", deploy: "d1", lease: 120).etag
        await #expect { _ = try await s.acquireLock("web", "production", holder: "server-b", deploy: "d2", lease: 30) } throws: {
            ($0 as? RikerError)?.code == .locked && ($0 as! RikerError).message.contains("server-a")
        }
        let renewed = try await s.renewLock("web", "production", holder: "server-a", deploy: "d1", lease: 120, etag: etag)
        try await s.releaseLock("web", "production", etag: renewed)
        #expect(try await s.get(StoreLayout.lock("web", "production")) == nil)
        // Free again: the next deploy takes it at once.
        _ = try await s.acquireLock("web", "production", holder: "server-b", deploy: "d2", lease: 30)
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredLockIsTakenOverAndItsOldHolderCannotRenewIt(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        // server-a (on another host) takes the lock with a short lease, then dies.
        let clock = ManualClock()
        let lock = DeployLock(holder: "server-a", deploy: "d1", expiresAt: clock.date.addingTimeInterval(1), host: "elsewhere", process: "1:1")
        let etag = try await s.put(StoreLayout.lock("web", "staging"), try JSONCoding.encode(lock), condition: .ifAbsent)
        await #expect { _ = try await s.acquireLock("web", "staging", holder: "server-b", deploy: "d2", lease: 120, clock: clock) } throws: {
            ($0 as? RikerError)?.code == .locked
        }
        clock.advance(by: .seconds(2))
        let taken = try await s.acquireLock("web", "staging", holder: "server-b", deploy: "d2", lease: 120, clock: clock)
        #expect(taken.interrupted?.deploy == "d1", "the taker learns which deploy to recover")
        await #expect { _ = try await s.renewLock("web", "staging", holder: "server-a", deploy: "d1", lease: 30, etag: etag) } throws: { isPrecondition($0) }
        let now = try JSONCoding.decode(DeployLock.self, from: try #require(try await s.get(StoreLayout.lock("web", "staging"))).data, what: "lock")
        #expect(now.holder == "server-b")
        try await s.releaseLock("web", "staging", etag: taken.etag)
        #expect(try await s.get(StoreLayout.lock("web", "staging")) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func aLockWhoseProcessOnThisHostDiedIsTakenOverAtOnce(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        let child = try ChildProcess.spawn(ProcessSpec("/bin/sleep", ["60"]))
        let identity = try #require(ProcessIdentity.of(child.pid))
        child.terminate(grace: 0)
        // A deploy of this host held it with two minutes of lease left when its process was killed.
        let dead = DeployLock(holder: "riker", deploy: "d1", expiresAt: Date().addingTimeInterval(120),
                              host: ProcessInfo.processInfo.hostName, process: identity.description)
        try await s.put(StoreLayout.lock("web", "production"), try JSONCoding.encode(dead), condition: .ifAbsent)
        let taken = try await s.acquireLock("web", "production", holder: "next", deploy: "d2", lease: 120, wait: 0)
        #expect(taken.interrupted?.deploy == "d1")
    }

    @Test(arguments: StoreKind.allCases)
    func slugsAreContentAddressedAndUploadedOnce(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let s = f.store
        let dir = try TempDir(); defer { dir.remove() }
        let slug = dir.path("slug.tar.zst")
        try writePatternFile(slug, size: 300_000)
        let sha = String(repeating: "ab", count: 32)
        let tags = ["app": "web", "env": "production", "commit": "abc123"]
        let first = try await s.storeSlug(app: "web", file: slug, sha256: sha, ext: "tar.zst", tags: tags)
        #expect(first.uploaded)
        #expect(first.key == "apps/web/slugs/\(sha).tar.zst")
        let again = try await s.storeSlug(app: "web", file: slug, sha256: sha, ext: "tar.zst", tags: tags)
        #expect(!again.uploaded)
        #expect(try await s.head(first.key)?.size == 300_000)
        let back = dir.path("back/slug")
        try await s.download(first.key, to: back)
        #expect(try Data(contentsOf: back) == (try Data(contentsOf: slug)))
        await #expect { try await s.download("apps/web/slugs/none.tar.zst", to: back) } throws: { ($0 as? RikerError)?.code == .notFound }
    }
}
