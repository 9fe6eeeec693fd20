import Foundation
import Logging
import RikerBuild
import RikerCore
import RikerHTTP
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// Image releases end to end with real podman: built by `DockerfileBuild` in one store, pushed
/// blob by blob to a real local release store, fetched by the agent side into a second podman
/// store (as on another instance), run, and served over HTTP on 127.0.0.1.
@Suite(.serialized)
struct ImageReleaseTests {
    static let httpd = """
    FROM scratch
    COPY busybox /bin/busybox
    COPY www /www
    EXPOSE 8080
    ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
    """

    @Test func scratchImageIsFetchedRunWithItsConfigAndServedOverHTTP() async throws {
        try await withImageHarness { h in
            // Procfile commands run with /bin/sh: busybox provides it.
            let dockerfile = Self.httpd.replacingOccurrences(of: "COPY www /www", with: "COPY www /www\nRUN [\"/bin/busybox\", \"ln\", \"-s\", \"busybox\", \"/bin/sh\"]")
            let ctx = try h.podman.context("app", files: ["Dockerfile": dockerfile, "www/index.html": "hello from the image\n",
                                                          "Procfile": "worker: echo worker sees $SECRET_TOKEN on $DYNO; exec /bin/busybox sleep 1000\n"])
            var release = try await h.buildRelease(ctx, config: ["SECRET_TOKEN": "hunter2"])
            release.formation = Formation(["web": 1, "worker": 1])
            #expect(release.builder == "dockerfile")
            #expect(release.image?.port == 8080)
            #expect(release.artifact == "apps/demo/blobs/sha256/\(release.sha256)")

            let installed = try await h.installer.install(release)
            #expect(h.counts.snapshot["download"] == 5, "manifest, config and three layers: \(h.counts.snapshot)")
            let names = try h.agentEngine.run(["images", "--format", "{{.Repository}}:{{.Tag}}"]).split(separator: "\n")
            #expect(names == ["localhost/riker-agent/\(h.installer.agentKey):v1"])
            let running = ContainerRelease(release: release, image: installed, paths: h.paths)
            try running.start(registry: h.registry)
            defer { h.stop(running) }

            let port = try #require(running.webPort)
            #expect(await h.eventually { h.get(port) == "hello from the image\n" })
            #expect(await h.eventually { h.log(release, "worker.1").contains("worker sees hunter2 on worker.1") })
            // The env file is the agent's (0600 in its 0700 env/ dir), not in the release dir.
            #expect(!FileManager.default.fileExists(atPath: installed.directory.appendingPathComponent(".riker-env-web.1").path))
            let envFile = h.paths.envFile(release.version, "web.1")
            #expect((try FileManager.default.attributesOfItem(atPath: envFile.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try String(contentsOf: envFile, encoding: .utf8).contains("PORT=8080\n"))
            for p in running.processes {
                let argv = try String(contentsOfFile: "/proc/\(p.pid!)/cmdline", encoding: .utf8)
                #expect(!argv.contains("hunter2"), "a config value is on the command line of \(p.type)")
            }
            #expect(try h.containers(installed).count == 2)

            h.stop(running)
            #expect(try h.containers(installed).isEmpty)
            #expect(h.get(port) == nil)
        }
    }

    @Test func oneChangedFileUploadsAndDownloadsOnlyTheNewLayerConfigAndManifest() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": Self.httpd, "www/index.html": "v1\n"])
            let v1 = try await h.buildRelease(ctx)
            #expect(h.counts.snapshot["upload"] == 4)
            _ = try await h.installer.install(v1)
            #expect(h.counts.snapshot["download"] == 4)

            try Data("v2\n".utf8).write(to: ctx.appendingPathComponent("www/index.html"))
            h.counts.reset()
            let v2 = try await h.buildRelease(ctx)
            #expect(h.counts.snapshot["upload"] == 3, "only the new layer, the config and the manifest: \(h.counts.snapshot)")
            #expect(h.counts.uploadedKeys.contains("apps/demo/blobs/sha256/\(v2.sha256)"))
            #expect(h.counts.uploadedKeys.contains("apps/demo/blobs/sha256/\(v2.image!.config.hex)"))

            _ = try await h.installer.install(v2)
            #expect(h.counts.snapshot["download"] == 3, "\(h.counts.snapshot)")

            // A release of the same image (config change, rollback, promote) moves nothing.
            h.counts.reset()
            var again = v2
            again.version = 3
            _ = try await h.installer.install(again)
            #expect(h.counts.snapshot["download"] == nil)
        }
    }

    @Test func pruneLeavesOnlyTheImagesAndBlobsOfKeptReleases() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": Self.httpd, "www/index.html": "1\n"])
            var releases: [Release] = []
            for n in 1...3 {
                try Data("\(n)\n".utf8).write(to: ctx.appendingPathComponent("www/index.html"))
                let r = try await h.buildRelease(ctx)
                _ = try await h.installer.install(r)
                releases.append(r)
            }
            #expect(try h.agentTags().count == 3)

            h.installer.prune(keep: 1, protected: [3])
            #expect(try h.agentTags() == ["localhost/riker-agent/\(h.installer.agentKey):v3"])
            let ids = try h.agentEngine.run(["images", "--quiet", "--no-trunc"]).split(separator: "\n").map { String($0.dropFirst(7)) }
            #expect(ids == [releases[2].image!.config.hex])
            let kept = try Set(FileManager.default.contentsOfDirectory(atPath: h.installer.layout.appendingPathComponent("blobs/sha256").path))
            let manifest = try OCI.decode(OCIManifest.self, from: Data(contentsOf: h.installer.layout.appendingPathComponent("blobs/sha256/\(releases[2].sha256)")), what: "m")
            #expect(kept == Set(([releases[2].image!.manifest] + manifest.blobs.map(\.digest)).map(\.hex)))
        }
    }

    /// The same cleanup through a running agent: after each switch it keeps `keepReleases`
    /// release dirs, and only their images (tags, engine images and layout blobs) stay.
    @Test func anAgentKeepsOnlyTheImagesOfItsKeptReleasesAsItDeploys() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": Self.httpd, "www/index.html": "1\n"])
            var options = AgentOptions(storeURL: h.store.url, app: "demo", env: "production", instanceID: "i-1",
                                       dir: h.paths.dir, port: freePort(), pollInterval: 0.1)
            options.grace = 2
            options.keepReleases = 2
            options.containerStorage = h.agentEngine.storage
            let agent = Agent(options: options, store: h.store, probe: CurlHealthProbe())
            let task = Task { try await agent.run() }
            let deployAndCheck: () async throws -> Void = {
                var releases: [Release] = []
                for n in 1...3 {
                    try Data("\(n)\n".utf8).write(to: ctx.appendingPathComponent("www/index.html"))
                    let r = try await h.buildRelease(ctx)
                    releases.append(r)
                    try await h.store.setDesired("demo", "production", instance: "i-1", DesiredRelease(release: r.version, deploy: "d\(n)"))
                    #expect(await h.eventually(timeout: 60) { h.get(options.port) == "\(n)\n" }, "v\(n) never served")
                }
                let key = h.installer.agentKey
                // v1's container goes once retired; its image and blobs went with its release dir.
                #expect(await h.eventually(timeout: 30) {
                    (try? h.agentTags()) == ["localhost/riker-agent/\(key):v2", "localhost/riker-agent/\(key):v3"]
                        && (try? h.agentEngine.run(["ps", "--all", "--quiet"]).split(separator: "\n").count) == 1
                }, "tags: \(String(describing: try? h.agentTags()))")
                let ids = try h.agentEngine.run(["images", "--quiet", "--no-trunc"]).split(separator: "\n").map { String($0.dropFirst(7)) }
                #expect(Set(ids) == Set(releases[1...].map { $0.image!.config.hex }))
                var needed = Set<String>()
                for r in releases[1...] {
                    let m = try OCI.decode(OCIManifest.self, from: Data(contentsOf: h.installer.layout.appendingPathComponent("blobs/sha256/\(r.sha256)")), what: "m")
                    needed.formUnion([r.sha256] + m.blobs.map(\.digest.hex))
                }
                let kept = try Set(FileManager.default.contentsOfDirectory(atPath: h.installer.layout.appendingPathComponent("blobs/sha256").path))
                #expect(kept == needed)
            }
            do { try await deployAndCheck() } catch { agent.stop(); _ = try? await task.value; throw error }
            agent.stop()
            _ = try await task.value
        }
    }

    @Test func corruptBlobInTheStoreIsRefusedAndACorruptCachedBlobIsFetchedAgain() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": Self.httpd, "www/index.html": "hi\n"])
            let release = try await h.buildRelease(ctx)
            let manifest = try OCI.decode(OCIManifest.self, from: try await h.store.blobData(app: "demo", release.image!.manifest), what: "m")
            let layer = try #require(manifest.layers.last).digest
            let stored = h.storeDir.appendingPathComponent(StoreLayout.blob("demo", layer))
            let good = try Data(contentsOf: stored)
            try Data("tampered".utf8).write(to: stored)
            do {
                _ = try await h.installer.install(release)
                Issue.record("a tampered layer was accepted")
            } catch let e as RikerError {
                #expect(e.code == .deployFailed)
                #expect(e.message.contains("blob apps/demo/blobs/sha256/\(layer.hex)"))
                #expect(e.message.hasSuffix("refusing to use it"))
            }
            try good.write(to: stored)
            _ = try await h.installer.install(release)

            // A cached blob that rotted on disk is noticed and downloaded again.
            try h.agentEngine.run(["rmi", "--force", release.image!.config.hex])
            let cached = h.installer.layout.appendingPathComponent("blobs/sha256/\(layer.hex)")
            try Data("rotten".utf8).write(to: cached)
            h.counts.reset()
            _ = try await h.installer.install(release)
            #expect(h.counts.snapshot["download"] == 1)
            #expect(try Data(contentsOf: cached) == good)
        }
    }

    @Test func hostWithoutAnEngineFailsTheInstallWithAClearError() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": Self.httpd, "www/index.html": "hi\n"])
            let release = try await h.buildRelease(ctx)
            var bare = h.installer
            bare.enginePath = "/nonexistent"
            await #expect(throws: RikerError(.deployFailed, "cannot run v1 (a Dockerfile image) on this host: this host cannot build or run images: install podman (apt-get install podman runc catatonit) or start a Docker engine")) {
                _ = try await bare.install(release)
            }
        }
    }

    @Test func containersLeftByADeadAgentAreRemovedByItsSuccessor() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": Self.httpd, "www/index.html": "hi\n"])
            let release = try await h.buildRelease(ctx)
            let installed = try await h.installer.install(release)
            let running = ContainerRelease(release: release, image: installed, paths: h.paths)
            try running.start(registry: h.registry)
            let port = try #require(running.webPort)
            #expect(await h.eventually { h.get(port) != nil })
            // The agent dies: its foreground `podman run` goes, the container stays with conmon.
            for p in running.processes { p.child?.signal(SIGKILL); _ = p.child?.wait() }
            #expect(try h.containers(installed).count == 1)

            h.installer.removeLeftovers()
            #expect(try h.containers(installed).isEmpty)
            #expect(h.get(port) == nil)
        }
    }

    @Test func configVarWithALineBreakFailsTheStartNamingIt() throws {
        let release = Release(version: 4, app: "demo", env: "production", commit: "c", ref: "r", builder: "dockerfile", processTypes: [:],
                              artifact: "a", sha256: "s", size: 0, config: [:], createdBy: "t", description: "d")
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("env-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: RikerError(.deployFailed, "config var PEM has a line break, which cannot be passed to the containers of v4: store it without one (e.g. base64)")) {
            try ContainerRelease.writeEnvFile(["PEM": "a\nb", "OK": "x"], to: file, release: release)
        }
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    /// A Python app on a Debian base imported from a local rootfs (mmdebstrap, cached in
    /// /var/tmp/riker-test-images): about 100 s the first time on this machine, then ~20 s
    /// (import of the 216 MB base, build, transfer of 64 MB of zstd layers, run).
    @Test func pythonAppOnAnImportedBaseImageServesHTTP() async throws {
        try await withImageHarness { h in
            let base = try PythonBaseImage.importInto(h.podman.engine)
            let ctx = try h.podman.context("py", files: ["Dockerfile": """
                FROM \(base)
                WORKDIR /app
                COPY app.py /app/app.py
                CMD ["python3", "/app/app.py"]
                """, "app.py": """
                import http.server, os
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = ("python says " + os.environ["GREETING"] + " on " + os.environ["PORT"] + "\\n").encode()
                        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
                """], busybox: false)
            let release = try await h.buildRelease(ctx, config: ["GREETING": "hi"])
            #expect(release.image?.port == nil)
            let installed = try await h.installer.install(release)
            let running = ContainerRelease(release: release, image: installed, paths: h.paths)
            try running.start(registry: h.registry)
            defer { h.stop(running) }
            let port = try #require(running.webPort)
            #expect(await h.eventually(timeout: 30) { h.get(port) == "python says hi on 5000\n" })
        }
    }
}

/// A real local store that counts uploads and downloads, a podman store to build in and one
/// for the agent (another instance), and the agent-side installer.
final class ImageHarness {
    let podman: PodmanFixture
    let agentEngine: ContainerEngine
    let storeDir: URL
    let counts = TransferCounts()
    let store: CountingBlobStore
    let paths: AgentDirectory
    let registry: ProcessRegistry
    var installer: ImageInstaller
    private var builds = 0

    init() throws {
        podman = try PodmanFixture("riker-image")
        agentEngine = podman.secondStore("agent-containers")
        storeDir = podman.temp.path("store")
        store = CountingBlobStore(inner: LocalReleaseStore(directory: storeDir), counts: counts)
        paths = AgentDirectory(podman.temp.path("agent"))
        let logger = Logger(label: "test")
        registry = ProcessRegistry(file: paths.processes, logger: logger)
        installer = ImageInstaller(store: store, paths: paths, logger: logger, storage: agentEngine.storage)
    }

    /// Builds `context` and stores it as the next release of demo (production), as the pipeline does.
    func buildRelease(_ context: URL, config: [String: String] = [:]) async throws -> Release {
        builds += 1
        let tmp = podman.temp.path("build-\(builds)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let built = try DockerfileBuild.build(DockerfileBuildRequest(
            app: "demo", buildDir: context, config: config, engine: podman.engine, workspace: podman.temp.path("images/demo"),
            tmpDir: tmp, timeout: 600, output: Output.null))
        _ = try await store.pushBlobs(app: "demo", built.blobs, from: built.layout)
        return try await store.createRelease(Release(
            version: 0, app: "demo", env: "production", commit: String(repeating: "c", count: 40), ref: "refs/heads/main",
            builder: built.builder, processTypes: built.processTypes, artifact: StoreLayout.blob("demo", built.manifest),
            sha256: built.manifest.hex, size: built.size, config: config, createdBy: "test", description: "image",
            image: ImageArtifact(manifest: built.manifest, config: built.config, image: built.imageConfig)))
    }

    func get(_ port: Int, _ path: String = "/") -> String? {
        guard let r = try? HTTPClient.get("http://127.0.0.1:\(port)\(path)", timeout: 3), r.status == 200 else { return nil }
        return String(decoding: r.body, as: UTF8.self)
    }

    func log(_ release: Release, _ type: String) -> String {
        (try? String(contentsOf: paths.log(release.version, type), encoding: .utf8)) ?? ""
    }

    /// Ids of this agent's containers (running or not) in the agent's podman store.
    func containers(_ image: InstalledImage) throws -> [String] {
        try agentEngine.run(["ps", "--all", "--quiet", "--filter", "label=riker.agent=\(image.agentKey)"])
            .split(separator: "\n").map(String.init)
    }

    func agentTags() throws -> [String] {
        try agentEngine.run(["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=localhost/riker-agent/*"])
            .split(separator: "\n").map(String.init).sorted()
    }

    /// Stops a release's containers and waits for them (safe to call twice).
    func stop(_ r: ContainerRelease) {
        r.stopBlocking(grace: 3, registry: registry)
    }

    func eventually(timeout: Double = 15, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return condition()
    }

    func remove() { podman.remove(also: [agentEngine]) }
}

func withImageHarness(_ body: (ImageHarness) async throws -> Void) async throws {
    let h = try ImageHarness()
    defer { h.remove() }
    try await body(h)
}

/// Upload and download counts by kind, and the keys uploaded.
final class TransferCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var keys: [String] = []
    func add(_ kind: String, _ key: String) { lock.withLock { counts[kind, default: 0] += 1; if kind == "upload" { keys.append(key) } } }
    func reset() { lock.withLock { counts = [:]; keys = [] } }
    var snapshot: [String: Int] { lock.withLock { counts } }
    var uploadedKeys: [String] { lock.withLock { keys } }
}

/// A store that counts the writes and reads of blobs (put, upload; get, download).
struct CountingBlobStore: ReleaseStore {
    let inner: LocalReleaseStore
    let counts: TransferCounts
    var url: String { inner.url }
    func get(_ key: String) async throws -> StoredObject? {
        if key.contains("/blobs/") { counts.add("download", key) }
        return try await inner.get(key)
    }
    func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead { try await inner.get(key, ifNoneMatch: etag) }
    func head(_ key: String) async throws -> ObjectInfo? { try await inner.head(key) }
    func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        if key.contains("/blobs/") { counts.add("upload", key) }
        return try await inner.put(key, data, condition: condition)
    }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func listChildren(prefix: String) async throws -> [String] { try await inner.listChildren(prefix: prefix) }
    func upload(_ key: String, from file: URL, tags: [String: String]) async throws {
        counts.add("upload", key)
        try await inner.upload(key, from: file, tags: tags)
    }
    func download(_ key: String, to file: URL) async throws {
        counts.add("download", key)
        try await inner.download(key, to: file)
    }
}
