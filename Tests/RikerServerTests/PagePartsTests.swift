import Foundation
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// The live page's logic on its own: escaping, the deploy picture, sessions in a real local
/// store, and where a login may send the browser. (The page over real HTTP and in a browser:
/// IntegrationTests.LivePageTests and BrowserPageTests.)
@Suite struct PagePartsTests {
    @Test func escapingLeavesNoMarkupInTextOrAttributes() {
        #expect(HTML.escape(#"<script>alert("x")</script> & 'q'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;")
        #expect(HTML.escape("plain ünïcode") == "plain ünïcode")
    }

    @Test func theDeployPictureFollowsTheRecordBatchByBatch() {
        var r = DeployRecord(id: "d1", app: "web", env: "production", release: 2, previous: 1, target: "asg")
        r.batches = [.init(instances: ["a"], outcome: .succeeded), .init(instances: ["b"])]
        r.events = [.init(instance: "a", release: 2, event: "deregistered"), .init(instance: "a", release: 2, event: "v2 is up and healthy"),
                    .init(instance: "b", release: 2, event: "deregistered")]
        var p = DeployPicture(r, instanceIDs: ["a", "b", "c"])
        #expect(p.rows.map { $0.instances.map(\.state) } == [[.healthy], [.draining], [.waiting]])
        #expect(p.rows.map(\.batch) == [1, 2, nil])

        r.batches.append(.init(instances: ["c"]))
        #expect(DeployPicture(r, instanceIDs: ["a", "b", "c"]).rows.map { $0.instances.map(\.state) } == [[.healthy], [.draining], [.waiting]],
                "a batch just begun waits until something happens to it")
        r.batches.removeLast()
        r.events.append(.init(instance: "b", release: 2, event: "installing v2"))
        #expect(DeployPicture(r, instanceIDs: ["a", "b", "c"]).rows[1].instances[0].state == .installing)

        r.events.append(.init(instance: "b", release: 2, event: "failed", detail: "exited 1"))
        r.events.append(.init(instance: "a", release: 1, event: "back on v1"))
        r.batches[0].outcome = .rolledBack; r.batches[1].outcome = .rolledBack
        r.outcome = .rolledBack
        p = DeployPicture(r, instanceIDs: ["a", "b", "c"])
        #expect(p.rows.map { $0.instances.map(\.state) } == [[.rolledBack], [.failed], [.untouched]])
        #expect(p.rows[1].instances[0].detail == "failed (exited 1)")
    }

    @Test func aSessionOpensOnlyWithItsCookieAndNeverStoresTheToken() async throws {
        let dir = try TempDir("page-sessions")
        defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.url)
        let sessions = PageSessions(store: store)
        let secret = "riker_" + String(repeating: "ab", count: 32)
        let (cookie, session) = try await sessions.create(secret: secret)
        let opened = try await sessions.open(cookie)
        #expect(opened?.secret == secret && opened?.session.csrf == session.csrf)
        let stored = String(decoding: try #require(try await store.get(PageSessions.key(session.id))).data, as: UTF8.self)
        #expect(!stored.contains(secret) && !cookie.contains(secret))

        // Another key, a mangled cookie, an expired session: nothing opens.
        let id = String(cookie.split(separator: ".")[0])
        #expect(try await sessions.open(id + "." + String(repeating: "0", count: 64)) == nil)
        #expect(try await sessions.open(cookie + "x") == nil)
        #expect(try await sessions.open("../../etc." + String(repeating: "0", count: 64)) == nil)
        #expect(try await sessions.open(cookie, now: Date().addingTimeInterval(PageSessions.lifetime + 1)) == nil)
        #expect(try await store.get(PageSessions.key(session.id)) == nil, "an expired session is deleted when seen")

        // Sweeping removes old sessions and keeps new ones; ending one removes it.
        let (old, _) = try await sessions.create(secret: secret, now: Date().addingTimeInterval(-PageSessions.lifetime - 60))
        let (fresh, _) = try await sessions.create(secret: secret)
        try await sessions.sweep()
        #expect(try await store.list(prefix: "sessions/").count == 1)
        #expect(try await sessions.open(old) == nil)
        #expect(try await sessions.open(fresh) != nil)
        try await sessions.end(fresh)
        #expect(try await sessions.open(fresh) == nil)
    }

    @Test func aLoginOnlyReturnsToAPathOfThisSite() {
        #expect(PageRoutes.safeNext("/apps/web/production") == "/apps/web/production")
        for bad in ["//evil.example/x", "https://evil.example", "/\\evil", "", "apps", "/a b"] { #expect(PageRoutes.safeNext(bad) == "", "\(bad)") }
    }
}
