import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerDeploy

/// `Pipeline.buildAndStoreImage` with real podman (the store under a temp Riker root) and a
/// real local release store.
@Suite(.serialized)
struct PipelineImageTests {
    @Test func dockerfileAppIsBuiltIntoBlobsAndAReleaseImageWithItsSettings() async throws {
        let podman = try PodmanFixture(); defer { podman.remove(also: [rikerEngine(podman)]) }
        let ctx = try podman.context("app", files: ["Dockerfile": """
            FROM scratch
            COPY busybox /bin/busybox
            ARG GREETING
            RUN ["/bin/busybox", "sh", "-c", "echo greeting=$GREETING; echo nets: $(/bin/busybox ls /sys/class/net)"]
            EXPOSE 8080
            CMD ["/bin/busybox", "httpd", "-f", "-p", "8080"]
            """])
        let paths = RikerPaths(root: podman.temp.path("root"))
        let store = LocalReleaseStore(directory: paths.localStore)
        let log = podman.temp.path("out.log")
        let output = Output.null
        output.tee(to: log)
        let pipeline = Pipeline(paths: paths, store: store, output: output)
        let work = podman.temp.path("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let stored = try await pipeline.buildAndStoreImage(app: "demo", buildDir: ctx, workDir: work, config: ["GREETING": "hey"],
                                                           settings: try settings(["build.args": "GREETING", "build.network": "none"]))
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("       greeting=hey"))
        #expect(lines.contains("       nets: lo"))
        #expect(lines.contains("-----> Storing image"))
        #expect(lines.contains { $0.hasPrefix("       Uploaded 4 of 4 blobs (") })
        #expect(stored.builder == "dockerfile" && stored.processTypes == ["web": ""])
        #expect(stored.image.port == 8080 && stored.image.cmd == ["/bin/busybox", "httpd", "-f", "-p", "8080"])
        #expect(stored.artifact == StoreLayout.blob("demo", stored.image.manifest) && stored.sha256 == stored.image.manifest.hex)
        #expect(try await store.head(stored.artifact) != nil)
        #expect(stored.push.uploaded == 4)

        let again = try await pipeline.buildAndStoreImage(app: "demo", buildDir: ctx, workDir: work, config: ["GREETING": "hey"],
                                                          settings: try settings(["build.args": "GREETING", "build.network": "none"]))
        #expect(again.push.uploaded == 0 && again.push.present == 4 && again.image == stored.image)

        #expect {
            try settings(["build.args": "PATH"])
        } throws: { ($0 as? RikerError)?.message.contains("build.args: PATH cannot be a build arg: the container engine reads it itself") == true }
    }

    private func settings(_ values: [String: String]) throws -> BuildSettings {
        try BuildSettings(AppSettings(name: "demo", settings: values), env: "production")
    }

    private func rikerEngine(_ podman: PodmanFixture) -> ContainerEngine {
        ContainerEngine(kind: .podman, executable: podman.engine.executable, storage: RikerPaths(root: podman.temp.path("root")).containerStorage)
    }
}
