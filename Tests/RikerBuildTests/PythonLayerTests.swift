import Foundation
import RikerArchive
import RikerCore
import Testing
@testable import RikerBuild

/// The python buildpack and layered slugs: unchanged requirements restore the cached packages
/// as hard links (nothing copied), and declare `.heroku` with the cache's generation, so the
/// second build's dependencies layer is not packed again.
@Suite(.serialized) struct PythonLayerTests {
    private func inode(_ url: URL) -> ino_t? {
        var st = stat()
        return stat(url.path, &st) == 0 ? st.st_ino : nil
    }

    @Test func unchangedRequirementsAreHardLinkedFromTheCacheAndTheLayerIsNotPackedAgain() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "six==1.16.0\n", "app.py": "import six\n"])
        _ = try f.build(timeout: 120).result.get()
        let declared = try #require(f.read(".riker/layers"))
        #expect(declared.hasPrefix(".heroku python-packages-"), "\(declared)")
        let workspace = SlugWorkspace(dir: f.temp.path("ws"))
        let first = try workspace.pack(buildDir: f.app, layout: f.temp.path("out1"), limits: .none)
        #expect(first.manifest.layers.map { $0.paths ?? ["app"] } == [[".heroku"], ["app"]])

        // The next build starts from a fresh checkout, as a push does.
        for dir in [".heroku", ".riker"] { try FileManager.default.removeItem(at: f.app.appendingPathComponent(dir)) }
        try f.writeApp(["app.py": "import six\nprint(six.__version__)\n"])
        let (second, lines) = f.build(timeout: 120)
        _ = try second.get()
        #expect(lines.contains("       requirements.txt unchanged; reusing cached packages"))
        #expect(f.read(".riker/layers") == declared, "the same cache generation")
        let six = ".heroku/python/lib/six.py"
        #expect(inode(f.app.appendingPathComponent(six)) == inode(f.cache.appendingPathComponent("python/packages/lib/six.py")))
        // Read-only, so a build step cannot change the cache through the link.
        #expect(FileManager.default.isWritableFile(atPath: f.app.appendingPathComponent(six).path) == false || geteuid() == 0)
        var st = stat()
        #expect(stat(f.app.appendingPathComponent(six).path, &st) == 0 && st.st_mode & 0o222 == 0)
        #expect(try f.runApp("python app.py").output == "1.16.0")

        let again = try workspace.pack(buildDir: f.app, layout: f.temp.path("out2"), limits: .none)
        #expect(again.reused.map(\.digest) == [first.manifest.layers[0].digest])
        #expect(again.packed.map(\.role) == [.app])
    }

    /// A build that reuses the cached packages never starts pip (seconds on a busy machine): a
    /// pip config that breaks pip (it reaches pip as a `PIP_*` config var) does not fail it, and
    /// the same config does fail the build once requirements.txt changes and pip must run.
    @Test func reusingTheCachedPackagesDoesNotStartPipAndChangedRequirementsDo() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "six==1.16.0\n", "app.py": "import six\n"])
        _ = try f.build(timeout: 120).result.get()
        let generation = try #require(f.read(".riker/layers"))

        let broken = f.temp.path("broken-pip.conf")
        try Data("not a pip config [[\n".utf8).write(to: broken)
        chmod(broken.path, 0o644)
        chmod(f.temp.url.path, 0o755)
        let config = ["PIP_CONFIG_FILE": broken.path]
        for dir in [".heroku", ".riker"] { try FileManager.default.removeItem(at: f.app.appendingPathComponent(dir)) }
        let (reused, lines) = f.build(config: config, timeout: 120)
        _ = try reused.get()
        #expect(lines.contains("       requirements.txt unchanged; reusing cached packages"))
        #expect(f.read(".riker/layers") == generation)

        for dir in [".heroku", ".riker"] { try FileManager.default.removeItem(at: f.app.appendingPathComponent(dir)) }
        try f.writeApp(["requirements.txt": "six==1.16.0\n# changed\n"])
        let (changed, changedLines) = f.build(config: config, timeout: 120)
        #expect(changed.rikerError?.code == .buildFailed)
        #expect(changedLines.contains { $0.contains("pip does not run for") && $0.contains("Configuration file could not be loaded") }, "\(changedLines)")
    }
}
