import Foundation
import RikerArchive
import RikerBuild
import RikerCore
import RikerHTTP
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// A store that remembers every key the agent downloads.
final class DownloadLog: ReleaseStore, @unchecked Sendable {
    let inner: any ReleaseStore
    private let lock = NSLock()
    private var keys: [String] = []

    init(_ inner: any ReleaseStore) { self.inner = inner }

    /// Keys downloaded so far, and forgets them.
    func take() -> [String] { lock.withLock { defer { keys = [] }; return keys } }

    var url: String { inner.url }
    func get(_ key: String) async throws -> StoredObject? { try await inner.get(key) }
    func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead { try await inner.get(key, ifNoneMatch: etag) }
    func head(_ key: String) async throws -> ObjectInfo? { try await inner.head(key) }
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String { try await inner.put(key, data, condition: condition) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func listChildren(prefix: String) async throws -> [String] { try await inner.listChildren(prefix: prefix) }
    func upload(_ key: String, from file: URL, tags: [String: String]) async throws { try await inner.upload(key, from: file, tags: tags) }
    func download(_ key: String, to file: URL) async throws {
        lock.withLock { keys.append(key) }
        try await inner.download(key, to: file)
    }
}

extension AgentHarness {
    /// Packs `files` into a layered slug as a push would (`.heroku` a dependencies layer, the
    /// rest the app layer), stores its blobs and creates the next release.
    @discardableResult
    func layeredRelease(_ files: [String: String], processes: [String: String] = ["web": "python3 -m http.server $PORT --bind 127.0.0.1"]) async throws -> Release {
        let name = UUID().uuidString.prefix(6)
        let src = temp.path("src-\(name)")
        for (path, text) in files {
            let url = src.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let layout = temp.path("layout-\(name)")
        let packed = try SlugWorkspace(dir: temp.path("slug-workspace")).pack(buildDir: src, layout: layout, limits: .none)
        _ = try await store.pushBlobs(app: app, packed.blobs, from: layout)
        let manifest = packed.manifest
        return try await store.createRelease(Release(
            version: 0, app: app, env: env, commit: String(repeating: "cd", count: 20), ref: "refs/heads/main", builder: "test",
            processTypes: processes, artifact: StoreLayout.blob(app, packed.manifestDigest), sha256: packed.manifestDigest.hex,
            size: manifest.size, config: [:], createdBy: "test", description: "layered", unpackedSize: manifest.unpackedSize,
            layers: manifest.layers))
    }

    /// A new release of `base`'s slug, as rollback and promote make.
    @discardableResult
    func copy(of base: Release) async throws -> Release {
        var draft = base
        draft.description = "Rollback to \(base.name)"
        return try await store.createRelease(draft)
    }

    /// Runs `body` with an agent reading the store through `log`.
    func withCountingAgent(_ options: AgentOptions? = nil, _ body: (DownloadLog) async throws -> Void) async throws {
        let log = DownloadLog(store)
        let agent = Agent(options: options ?? self.options, store: log, probe: CurlHealthProbe())
        let task = Task { try await agent.run() }
        do { try await body(log) } catch {
            agent.stop(); _ = try? await task.value
            throw error
        }
        agent.stop(); _ = try? await task.value
    }

    func blobKey(_ layer: SlugLayer) -> String { StoreLayout.blob(app, layer.digest) }
    func cachedTree(_ layer: SlugLayer) -> URL { agentDir.appendingPathComponent("layers/sha256/\(layer.digest.hex)/tree") }
}

/// Layered slugs on the agent: only missing layers are downloaded, each checked; the release
/// dir is assembled from cached layers; a changed cached layer is fetched again; single-archive
/// releases still work beside them.
@Suite(.serialized)
struct LayeredInstallTests {
    static let deps = [".heroku/python/lib/dep.txt": "dependency 1\n", ".heroku/python/bin/tool": "#!/bin/sh\necho tool\n"]

    static func app(_ version: String) -> [String: String] { deps.merging(["version.txt": version + "\n"]) { $1 } }

    @Test(arguments: AgentLogStore.allCases)
    func agentsDownloadOnlyTheLayersTheyLackAndRollbackMovesNothing(store kind: AgentLogStore) async throws {
        try await withHarness(store: try await kind.make()) { h in
            let r1 = try await h.layeredRelease(Self.app("one"))
            let layers = try #require(r1.layers)
            #expect(layers.map(\.role) == [.dependencies, .app])
            try await h.setDesired(1, deploy: "d1")
            try await h.withCountingAgent { log in
                try await h.waitRunning(1, deploy: "d1")
                #expect(Set(log.take()) == Set(layers.map(h.blobKey)))
                #expect(h.get("/version.txt") == "one\n")
                #expect(h.get("/.heroku/python/lib/dep.txt") == "dependency 1\n")

                // A one-line change: the app layer alone moves.
                let r2 = try await h.layeredRelease(Self.app("two"))
                #expect(r2.layers?.first == layers.first)
                try await h.setDesired(2, deploy: "d2")
                try await h.waitRunning(2, deploy: "d2")
                #expect(log.take() == [h.blobKey(try #require(r2.layers?.last))])
                #expect(h.get("/version.txt") == "two\n")
                #expect(h.get("/.heroku/python/lib/dep.txt") == "dependency 1\n")

                // Rollback to v1: its layers are cached, nothing is downloaded.
                let r3 = try await h.copy(of: r1)
                try await h.setDesired(r3.version, deploy: "d3")
                try await h.waitRunning(r3.version, deploy: "d3")
                #expect(log.take() == [])
                #expect(h.get("/version.txt") == "one\n")
            }
            // Both releases share the dependency files: one inode, not a copy.
            let shared = ".heroku/python/lib/dep.txt"
            #expect(inode(h.agentDir.appendingPathComponent("releases/v1/\(shared)")) == inode(h.cachedTree(layers[0]).appendingPathComponent(shared)))
            #expect(inode(h.agentDir.appendingPathComponent("releases/v3/\(shared)")) == inode(h.cachedTree(layers[0]).appendingPathComponent(shared)))
        }
    }

    @Test func aChangedLayerInTheAgentsCacheIsFetchedAgain() async throws {
        try await withHarness { h in
            let r1 = try await h.layeredRelease(Self.app("one"))
            let deps = try #require(r1.layers?.first)
            try await h.setDesired(1, deploy: "d1")
            try await h.withCountingAgent { log in
                try await h.waitRunning(1, deploy: "d1")
                _ = log.take()
                // Root changes a cached file (the app could not: it is read-only and not the app's).
                let file = h.cachedTree(deps).appendingPathComponent(".heroku/python/lib/dep.txt")
                chmod(file.path, 0o644)
                try Data("tampered!!!!\n".utf8).write(to: file)

                let r2 = try await h.layeredRelease(Self.app("two"))
                try await h.setDesired(2, deploy: "d2")
                try await h.waitRunning(2, deploy: "d2")
                let fetched = log.take()
                #expect(fetched.contains(h.blobKey(deps)), "\(fetched)")
                #expect(fetched.contains(h.blobKey(try #require(r2.layers?.last))))
                #expect(h.get("/.heroku/python/lib/dep.txt") == "dependency 1\n")
            }
        }
    }

    @Test(arguments: AgentLogStore.allCases)
    func aTamperedLayerInTheStoreIsRefusedAndTheOldReleaseKeepsServing(store kind: AgentLogStore) async throws {
        try await withHarness(store: try await kind.make()) { h in
            try await h.layeredRelease(Self.app("one"))
            try await h.setDesired(1, deploy: "d1")
            try await h.withCountingAgent { _ in
                try await h.waitRunning(1, deploy: "d1")
                let r2 = try await h.layeredRelease(Self.app("two"))
                let appLayer = try #require(r2.layers?.last)
                _ = try await h.store.put(h.blobKey(appLayer), Data("not the layer".utf8), condition: .always)

                try await h.setDesired(2, deploy: "d2")
                let status = try await h.waitForStatus { $0.state == .failed && $0.target == 2 }
                #expect(status.release == 1)
                let error = status.error ?? ""
                #expect(error.contains("has SHA-256") && error.contains("not \(appLayer.digest.hex): refusing to use it"), "\(error)")
                #expect(h.get("/version.txt") == "one\n")
                #expect(!FileManager.default.fileExists(atPath: h.cachedTree(appLayer).path))
            }
        }
    }

    @Test func aReleaseWhoseLayersAreNotItsManifestsIsRefused() async throws {
        try await withHarness { h in
            let r1 = try await h.layeredRelease(Self.app("one"))
            let r2 = try await h.layeredRelease(Self.app("two"))
            // r1's manifest digest, r2's app layer: the list does not match the artifact.
            var forged = r1
            forged.layers = [try #require(r1.layers?.first), try #require(r2.layers?.last)]
            forged.description = "forged"
            let bad = try await h.store.createRelease(forged)
            try await h.setDesired(1, deploy: "d1")
            try await h.withCountingAgent { _ in
                try await h.waitRunning(1, deploy: "d1")
                try await h.setDesired(bad.version, deploy: "d2")
                let status = try await h.waitForStatus { $0.state == .failed && $0.target == bad.version }
                #expect(status.release == 1)
                #expect(status.error?.contains("lists layers its slug manifest") == true, "\(String(describing: status.error))")
                #expect(h.get("/version.txt") == "one\n")
            }
        }
    }

    @Test func singleArchiveReleasesStillInstallAndRollBackBesideLayeredOnes() async throws {
        try await withHarness { h in
            let old = try await h.release(files: ["version.txt": "archive\n"], processes: ["web": "python3 -m http.server $PORT --bind 127.0.0.1"])
            #expect(old.layers == nil)
            try await h.layeredRelease(Self.app("layered"))
            try await h.setDesired(1, deploy: "d1")
            try await h.withCountingAgent { log in
                try await h.waitRunning(1, deploy: "d1")
                #expect(log.take() == [old.artifact])
                #expect(h.get("/version.txt") == "archive\n")
                try await h.setDesired(2, deploy: "d2")
                try await h.waitRunning(2, deploy: "d2")
                #expect(h.get("/version.txt") == "layered\n")
                let back = try await h.copy(of: old)
                try await h.setDesired(back.version, deploy: "d3")
                try await h.waitRunning(back.version, deploy: "d3")
                #expect(h.get("/version.txt") == "archive\n")
            }
        }
    }

    @Test func pruningKeepsOnlyTheLayersKeptReleasesUse() async throws {
        try await withHarness { h in
            let r1 = try await h.layeredRelease(Self.app("one"))
            var changedDeps = Self.app("two")
            changedDeps[".heroku/python/lib/dep.txt"] = "dependency 2\n"
            let r2 = try await h.layeredRelease(changedDeps)
            changedDeps["version.txt"] = "three\n"
            let r3 = try await h.layeredRelease(changedDeps)
            var options = h.options
            options.keepReleases = 1
            try await h.withCountingAgent(options) { _ in
                for r in [r1, r2, r3] {
                    try await h.setDesired(r.version, deploy: "d\(r.version)")
                    try await h.waitRunning(r.version, deploy: "d\(r.version)")
                }
            }
            let cached = Set(try FileManager.default.contentsOfDirectory(atPath: h.agentDir.appendingPathComponent("layers/sha256").path))
            #expect(cached == Set(try #require(r3.layers).map(\.digest.hex)))
            #expect(!cached.contains(try #require(r1.layers?.first).digest.hex))
        }
    }

    @Test(.enabled(if: AppUser.canSwitch, "needs root"))
    func theAppCannotChangeSharedLayerFilesButOwnsItsOwn() async throws {
        try await withHarness { h in
            let user = AppUser(uid: 399_991, gid: 399_991)
            let r1 = try await h.layeredRelease(Self.app("one"))
            try await h.setDesired(1, deploy: "d1")
            var options = h.options
            options.appUser = user
            try await h.withCountingAgent(options) { _ in try await h.waitRunning(1, deploy: "d1") }
            let release = h.agentDir.appendingPathComponent("releases/v1")
            func asApp(_ script: String) throws -> (String, RikerCore.ExitStatus) {
                try ProcessRunner.capture(try user.wrap(ProcessSpec("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"],
                                                                     workingDirectory: release)), timeout: 30)
            }
            // The shared file is readable and runnable, not writable, not re-permissionable.
            let read = try asApp("cat .heroku/python/lib/dep.txt")
            #expect(read.0.trimmingCharacters(in: .whitespacesAndNewlines) == "dependency 1", "\(read)")
            let ran = try asApp("sh .heroku/python/bin/tool")
            #expect(ran.0.trimmingCharacters(in: .whitespacesAndNewlines) == "tool", "\(ran)")
            #expect(try asApp("echo x >> .heroku/python/lib/dep.txt").1.succeeded == false)
            #expect(try asApp("chmod u+w .heroku/python/lib/dep.txt").1.succeeded == false)
            // Its own files and directories are its own: it can replace a shared file in its release
            // (a new file, not the cached one) and write its app files.
            #expect(try asApp("echo mine > version.txt && rm .heroku/python/lib/dep.txt && echo new > .heroku/python/lib/dep.txt").1.succeeded)
            let cached = h.cachedTree(try #require(r1.layers?.first)).appendingPathComponent(".heroku/python/lib/dep.txt")
            #expect(try String(contentsOf: cached, encoding: .utf8) == "dependency 1\n")
            #expect(try LayerTree.state(of: h.cachedTree(try #require(r1.layers?.first))) ==
                    LayerState(parsing: try String(contentsOf: h.cachedTree(try #require(r1.layers?.first)).deletingLastPathComponent()
                        .appendingPathComponent("state"), encoding: .utf8)))
        }
    }
}

private func inode(_ url: URL) -> UInt64? {
    var st = stat()
    return stat(url.path, &st) == 0 ? UInt64(st.st_ino) : nil
}
