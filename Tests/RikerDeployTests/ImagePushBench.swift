import Foundation
import RikerBuild
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerDeploy

/// The measurement behind bench/docker.sh (skipped unless RIKER_BENCH_DOCKER=1): a Python app
/// image (~220 MB, on the imported Debian base) stored the Riker way (layer by layer, only what
/// the store lacks) against the naive way (`podman save` of the whole image, uploaded each time),
/// for a first push and a one-file change, side by side in one run. Prints `bench …` lines.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["RIKER_BENCH_DOCKER"] == "1"))
struct ImagePushBench {
    struct Figures { var bytes: Int64; var build: Double; var store: Double; var total: Double { build + store } }

    @Test func layeredPushAgainstPodmanSaveOfTheWholeImage() async throws {
        let podman = try PodmanFixture("riker-bench"); defer { podman.remove() }
        let base = try PythonBaseImage.importInto(podman.engine)
        let ctx = try podman.context("app", files: ["Dockerfile": """
            FROM \(base)
            WORKDIR /app
            COPY lib /app/lib
            COPY app.py /app/app.py
            CMD ["python3", "/app/app.py"]
            """, "app.py": "print('hello, version 1')\n"], busybox: false)
        // Some app code besides the changed file: 2 MB of Python source.
        for i in 0..<40 {
            let text = (0..<1000).map { "def f\(i)_\($0)(x): return x * \($0)  # padding padding\n" }.joined()
            _ = try podman.context("app", files: ["lib/mod\(i).py": text], busybox: false)
        }
        let store = LocalReleaseStore(directory: podman.temp.path("store"))
        let naiveStore = LocalReleaseStore(directory: podman.temp.path("naive-store"))

        var rows: [(String, Figures, Figures)] = []
        for (round, label) in ["first push", "one-file change"].enumerated() {
            if round == 1 { try Data("print('hello, version 2')\n".utf8).write(to: ctx.appendingPathComponent("app.py")) }
            let riker = try await rikerPush(podman, context: ctx, store: store, round: round)
            let naive = try await naivePush(podman, context: ctx, store: naiveStore, round: round)
            rows.append((label, riker, naive))
        }
        func f(_ x: Double) -> String { String(format: "%.2fs", x) }
        for (label, r, n) in rows {
            print("bench \(label): riker uploaded \(humanSize(r.bytes)) in \(f(r.total)) (build+export \(f(r.build)), store \(f(r.store)));"
                + " naive uploaded \(humanSize(n.bytes)) in \(f(n.total)) (build \(f(n.build)), save+store \(f(n.store)))")
        }
        let (_, r2, n2) = rows[1]
        let bytesRatio = Double(r2.bytes) / Double(n2.bytes) * 100
        print(String(format: "bench one-file change: riker uploads %.3f%% of naive (target < 5%%); wall time naive/riker %.1fx (target >= 3x)",
                     bytesRatio, n2.total / r2.total))
        #expect(bytesRatio < 5)
    }

    /// DockerfileBuild (build, export only what is new, compress it) then the blob push.
    private func rikerPush(_ podman: PodmanFixture, context: URL, store: LocalReleaseStore, round: Int) async throws -> Figures {
        let tmp = podman.temp.path("riker-tmp-\(round)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let t0 = Date()
        let built = try DockerfileBuild.build(DockerfileBuildRequest(
            app: "bench", buildDir: context, config: [:], engine: podman.engine, workspace: podman.temp.path("images/bench"),
            tmpDir: tmp, timeout: 900, output: .null))
        let t1 = Date()
        let push = try await store.pushBlobs(app: "bench", built.blobs, from: built.layout)
        let t2 = Date()
        return Figures(bytes: push.uploadedBytes, build: t1.timeIntervalSince(t0), store: t2.timeIntervalSince(t1))
    }

    /// The same build, then `podman save` of the whole image and an upload of the archive.
    private func naivePush(_ podman: PodmanFixture, context: URL, store: LocalReleaseStore, round: Int) async throws -> Figures {
        let archive = podman.temp.path("naive-\(round).tar")
        defer { try? FileManager.default.removeItem(at: archive) }
        let t0 = Date()
        try podman.engine.run(["build", "--quiet", "--layers", "--tag", "localhost/naive:\(round)", context.path], timeout: 900)
        let t1 = Date()
        try podman.engine.run(["save", "--output", archive.path, "localhost/naive:\(round)"], timeout: 900)
        let sha = try SHA256Sum.of(archive)
        try await store.upload("apps/bench/slugs/\(sha).tar", from: archive, tags: [:])
        let t2 = Date()
        let size = (try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? NSNumber)?.int64Value ?? 0
        return Figures(bytes: size, build: t1.timeIntervalSince(t0), store: t2.timeIntervalSince(t1))
    }
}

/// The naive way names its archive by content too (as slugs are), so it pays for one hash.
enum SHA256Sum {
    static func of(_ file: URL) throws -> String {
        let r = try sh("/usr/bin/sha256sum", [file.path])
        return String(r.output.prefix(64))
    }
}
