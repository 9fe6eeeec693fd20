import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerBuild

/// Dockerfile builds with real podman (Riker's own store in a temp dir), `FROM scratch` with
/// Debian's static busybox so no registry is needed.
@Suite(.serialized)
struct DockerfileBuildTests {
    static let httpdDockerfile = """
    FROM scratch
    COPY busybox /bin/busybox
    COPY index.html /www/index.html
    EXPOSE 8080
    ENV GREETING=hello
    ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080"]
    CMD ["-h", "/www"]
    """

    struct Run {
        var result: Result<BuiltImage, Error>
        var lines: [String]
    }

    static func build(_ podman: PodmanFixture, context: URL, config: [String: String] = [:], buildArgs: [String] = [],
                      network: BuildNetwork = .default, timeout: Double = 300) -> Run {
        let log = podman.temp.path("build-\(UUID().uuidString.prefix(6)).log")
        let output = Output.null
        output.tee(to: log)
        let tmp = podman.temp.path("tmp-\(UUID().uuidString.prefix(6))")
        try? FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let request = DockerfileBuildRequest(app: "demo", buildDir: context, config: config, buildArgs: buildArgs, network: network,
                                             engine: podman.engine, workspace: podman.temp.path("images/demo"), tmpDir: tmp,
                                             timeout: timeout, output: output)
        let result = Result { try DockerfileBuild.build(request) }
        let lines = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        return Run(result: result, lines: lines)
    }

    @Test func scratchImageExportsZstdLayersAManifestAndHowItRuns() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        let ctx = try podman.context("app", files: ["Dockerfile": Self.httpdDockerfile, "index.html": "hi\n"])
        let run = Self.build(podman, context: ctx)
        let image = try run.result.get()

        #expect(run.lines.contains("-----> Building demo from Dockerfile (podman)"))
        #expect(run.lines.contains { $0.hasPrefix("       STEP 1/7: FROM scratch") })
        #expect(image.processTypes == ["web": ""])
        #expect(image.imageConfig.exposedPort == 8080)
        #expect(image.imageConfig.config?.entrypoint == ["/bin/busybox", "httpd", "-f", "-p", "8080"])
        #expect(image.imageConfig.config?.env?.contains("GREETING=hello") == true)

        // The layout holds exactly the image's blobs, each named by its SHA-256.
        let manifestData = try Data(contentsOf: blob(image.layout, image.manifest))
        let manifest = try OCI.decode(OCIManifest.self, from: manifestData, what: "manifest")
        #expect(manifest.config.digest == image.config)
        #expect(manifest.layers.count == 2)
        #expect(manifest.layers.allSatisfy { $0.mediaType == OCI.layerZstd })
        #expect(Set(image.blobs) == Set([image.manifest, image.config] + manifest.layers.map(\.digest)))
        for d in image.blobs { #expect(try sha256(blob(image.layout, d)) == d.hex) }
        let names = try FileManager.default.contentsOfDirectory(atPath: image.layout.appendingPathComponent("blobs/sha256").path)
        #expect(names.count == image.blobs.count)

        // The temporary tag is gone; the app's newest build stays tagged as its build cache.
        let tags = try podman.engine.run(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        #expect(tags.split(separator: "\n").map(String.init) == ["localhost/riker-build/demo:latest"])
    }

    @Test func rebuildingUnchangedSourcesGivesTheSameManifestAndOneChangedFileOneNewLayer() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        let ctx = try podman.context("app", files: ["Dockerfile": Self.httpdDockerfile, "index.html": "one\n"])
        let first = try Self.build(podman, context: ctx).result.get()
        let same = try Self.build(podman, context: ctx).result.get()
        #expect(same.manifest == first.manifest)

        try Data("two\n".utf8).write(to: ctx.appendingPathComponent("index.html"))
        let run = Self.build(podman, context: ctx)
        let second = try run.result.get()
        let new = Set(second.blobs).subtracting(first.blobs)
        #expect(new.count == 3, "expected one layer, the config and the manifest to be new: \(new)")
        #expect(new.contains(second.manifest) && new.contains(second.config))
        #expect(run.lines.contains("       2 layers: 1 new (\(humanSize(layerSize(second, new))) compressed), 1 unchanged; image \(humanSize(second.size))"))
    }

    @Test func failingRunStepFailsTheBuildWithItsOutputAndTheEngineError() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        let ctx = try podman.context("app", files: ["Dockerfile": """
            FROM scratch
            COPY busybox /bin/busybox
            RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]
            """])
        let run = Self.build(podman, context: ctx)
        let error = try #require(run.result.error as? RikerError)
        #expect(error.code == .buildFailed)
        #expect(error.message.hasPrefix("Dockerfile build failed: building at STEP"))
        #expect(error.message.contains("exit status 3"))
        #expect(run.lines.contains("       about to fail"))
        let images = try podman.engine.run(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        #expect(!images.contains("riker-build"))
    }

    @Test func timeLimitKillsTheRunningStep() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        let marker = "6\(Int.random(in: 10000...99999))"
        let ctx = try podman.context("app", files: ["Dockerfile": """
            FROM scratch
            COPY busybox /bin/busybox
            RUN ["/bin/busybox", "sleep", "\(marker)"]
            """])
        let run = Self.build(podman, context: ctx, timeout: 8)
        let error = try #require(run.result.error as? RikerError)
        #expect(error.message == "build timed out after 8 s")
        #expect(PodmanFixture.processes(containing: "sleep \(marker)").isEmpty)
    }

    @Test func buildArgsReachRunStepsOnlyWhenListedAndNetworkNoneLeavesOnlyLoopback() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        // The network is not part of the engine's cache key: each build gets a RUN step of its own.
        func context(_ network: BuildNetwork) throws -> URL {
            try podman.context("app-\(network)", files: ["Dockerfile": """
                FROM scratch
                COPY busybox /bin/busybox
                ARG GREETING
                ARG OTHER
                RUN ["/bin/busybox", "sh", "-c", "echo greeting=$GREETING other=$OTHER; echo \(network) nets: $(/bin/busybox ls /sys/class/net)"]
                CMD ["/bin/busybox", "true"]
                """])
        }
        let config = ["GREETING": "hello there", "OTHER": "not-passed"]
        let isolated = Self.build(podman, context: try context(.none), config: config, buildArgs: ["GREETING"], network: .none)
        _ = try isolated.result.get()
        #expect(isolated.lines.contains("       greeting=hello there other="))
        #expect(isolated.lines.contains("       none nets: lo"))

        let networked = Self.build(podman, context: try context(.default), config: config, buildArgs: ["GREETING"], network: .default)
        _ = try networked.result.get()
        #expect(networked.lines.contains { $0.hasPrefix("       default nets: ") && $0.contains("eth0") }, "\(networked.lines)")
    }

    @Test func procfileTypesRunAsCommandsAndWebDefaultsToTheImageCommand() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        let ctx = try podman.context("app", files: ["Dockerfile": Self.httpdDockerfile, "index.html": "hi\n",
                                                    "Procfile": "worker: /bin/busybox sleep 1000\n"])
        let image = try Self.build(podman, context: ctx).result.get()
        #expect(image.processTypes == ["web": "", "worker": "/bin/busybox sleep 1000"])

        let bare = try podman.context("bare", files: ["Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\n"])
        let error = try #require(Self.build(podman, context: bare).result.error as? RikerError)
        #expect(error.message == "nothing to run: the image has no ENTRYPOINT or CMD and the app has no Procfile")
    }

    @Test func aDockerfileLinkedOutsideTheAppIsRefusedBeforeTheEngineReadsIt() throws {
        let podman = try PodmanFixture(); defer { podman.remove() }
        let ctx = try podman.context("app", files: ["index.html": "hi\n"])
        try FileManager.default.createSymbolicLink(atPath: ctx.appendingPathComponent("Dockerfile").path, withDestinationPath: "/etc/shadow")
        let run = Self.build(podman, context: ctx)
        #expect((run.result.error as? RikerError)?.message == "Dockerfile is a symlink that points outside the app")
        #expect(!run.lines.contains { $0.contains("root:") })
    }

    // MARK: - Settings (no engine needed)

    @Test func buildArgsSettingParsesNamesAndRefusesOnesTheEngineReads() throws {
        #expect(try BuildArgs.parse("GREETING, API_URL  GREETING") == ["GREETING", "API_URL"])
        #expect(try BuildArgs.parse(nil) == [])
        for bad in ["CONTAINERS_CONF", "PATH", "LD_PRELOAD", "http_proxy", "DOCKER_HOST", "TMPDIR"] {
            #expect(BuildArgs.problem(bad)?.contains("the container engine reads it itself") == true, "\(bad)")
        }
        #expect(BuildArgs.problem("1BAD") == "build.args: '1BAD' is not a config var name (letters, digits and '_')")
        #expect(try BuildNetwork(setting: "") == .default)
        #expect(try BuildNetwork(setting: "none") == .none)
        #expect(BuildNetwork.problem("host") == "build.network must be default or none")
    }

    @Test func engineDetectionWithoutPodmanOrDockerSaysWhatToInstall() {
        #expect(throws: RikerError(.process, "this host cannot build or run images: install podman (apt-get install podman runc catatonit) or start a Docker engine")) {
            try ContainerEngine.detect(storage: URL(fileURLWithPath: "/tmp/none"), path: "/nonexistent")
        }
    }

    private func blob(_ layout: URL, _ d: ContentDigest) -> URL { layout.appendingPathComponent("blobs/sha256/\(d.hex)") }

    private func layerSize(_ image: BuiltImage, _ digests: Set<ContentDigest>) -> Int64 {
        let manifest = try? OCI.decode(OCIManifest.self, from: Data(contentsOf: blob(image.layout, image.manifest)), what: "manifest")
        return manifest?.layers.filter { digests.contains($0.digest) }.reduce(0) { $0 + $1.size } ?? -1
    }
}

func sha256(_ file: URL) throws -> String {
    let r = try sh("/usr/bin/sha256sum", [file.path])
    return String(r.output.prefix(64))
}
