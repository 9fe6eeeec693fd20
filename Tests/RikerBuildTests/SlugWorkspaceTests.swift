import Foundation
import RikerArchive
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerBuild

/// Layered slugs on the build side: how a build dir is split (`.riker/layers`, known
/// directories), and a dependencies layer whose fingerprint and files are unchanged taken from
/// the workspace instead of packed again.
@Suite struct SlugWorkspaceTests {
    struct Fixture {
        let temp: TempDir
        var app: URL { temp.path("app") }
        var workspace: SlugWorkspace { SlugWorkspace(dir: temp.path("ws")) }

        init(_ files: [String: String]) throws {
            temp = try TempDir("riker-slugws")
            try write(files)
        }

        func write(_ files: [String: String]) throws {
            for (path, text) in files {
                let url = app.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }

        func pack(_ name: String, limits: SlugLimits = .none) throws -> SlugWorkspace.Packed {
            try workspace.pack(buildDir: app, layout: temp.path("out-\(name)"), limits: limits)
        }

        /// The names inside one packed layer.
        func names(_ packed: SlugWorkspace.Packed, _ name: String, layer: Int) throws -> Set<String> {
            let blob = temp.path("out-\(name)/blobs/sha256/\(packed.manifest.layers[layer].digest.hex)")
            let out = temp.path("unpacked-\(name)-\(layer)")
            try SlugArchive.unpack(blob, into: out)
            return Set(FileManager.default.enumerator(atPath: out.path)!.compactMap { $0 as? String })
        }
    }

    static let pythonApp = [".heroku/python/lib/flask.py": "flask\n", "app.py": "print(1)\n", "Procfile": "web: python app.py\n",
                            ".riker/layers": "# from the python buildpack\n.heroku python-packages-1234\n"]

    @Test func anUnchangedFingerprintedLayerIsTakenFromTheLastBuildNotPackedAgain() throws {
        let f = try Fixture(Self.pythonApp); defer { f.temp.remove() }
        let first = try f.pack("1")
        #expect(first.manifest.layers.map(\.role) == [.dependencies, .app])
        #expect(first.manifest.layers[0].paths == [".heroku"])
        #expect(first.packed.count == 2 && first.reused.isEmpty)
        #expect(try f.names(first, "1", layer: 0) == [".heroku", ".heroku/python", ".heroku/python/lib", ".heroku/python/lib/flask.py"])
        // The layer list is build metadata: it does not reach the slug.
        #expect(try f.names(first, "1", layer: 1) == ["app.py", "Procfile", ".riker"])

        try f.write(["app.py": "print(2)\n"])
        let second = try f.pack("2")
        #expect(second.reused.map(\.digest) == [first.manifest.layers[0].digest])
        #expect(second.packed.map(\.role) == [.app])
        #expect(second.manifest.layers[0] == first.manifest.layers[0])
        #expect(second.manifestDigest != first.manifestDigest)
        // Every blob the slug needs is in the build's layout, for the upload.
        for digest in second.blobs {
            #expect(FileManager.default.fileExists(atPath: f.temp.path("out-2/blobs/sha256/\(digest.hex)").path))
        }
        #expect(try SlugArchive.sha256(of: f.temp.path("out-2/blobs/sha256/\(second.manifestDigest.hex)")) == second.manifestDigest.hex)
    }

    @Test func aWrittenDependencyFileOrANewFingerprintPacksTheLayerAgain() throws {
        let f = try Fixture(Self.pythonApp); defer { f.temp.remove() }
        let first = try f.pack("1")
        try f.write([".heroku/python/lib/flask.py": "flask 2\n"])
        let changed = try f.pack("2")
        #expect(changed.reused.isEmpty && changed.packed.count == 2)
        #expect(changed.manifest.layers[0].digest != first.manifest.layers[0].digest)

        // Same files, reinstalled (a new cache generation): packed again, and the same bytes give the same digest.
        try f.write([".riker/layers": ".heroku python-packages-5678\n"])
        let reinstalled = try f.pack("3")
        #expect(reinstalled.reused.isEmpty)
        #expect(reinstalled.manifest.layers[0].digest == changed.manifest.layers[0].digest)
    }

    @Test func withoutALayerListKnownDirectoriesAreLayersAndTheRestIsTheAppLayer() throws {
        let f = try Fixture(["node_modules/left-pad/index.js": "x", "vendor/bundle/gem.rb": "y", "index.js": "z"]); defer { f.temp.remove() }
        let first = try f.pack("1")
        #expect(first.manifest.layers.map { $0.paths ?? ["app"] } == [["node_modules"], ["vendor"], ["app"]])
        // No fingerprint: packed every build, to the same digests.
        let second = try f.pack("2")
        #expect(second.packed.count == 3 && second.reused.isEmpty)
        #expect(second.manifest == first.manifest)

        let plain = try Fixture(["index.html": "<p>hi</p>"]); defer { plain.temp.remove() }
        let only = try plain.pack("1")
        #expect(only.manifest.layers.map(\.role) == [.app])
        #expect(only.manifest.unpackedSize == 9)
    }

    @Test func theSlugCapAppliesToAllLayersTogether() throws {
        let f = try Fixture([".heroku/big": String(repeating: "a", count: 15), "app.py": String(repeating: "b", count: 10)]); defer { f.temp.remove() }
        let limits = SlugLimits(maxBytes: 20, limitName: "build.max_slug_mb=1", raiseHint: "", deadline: nil, deadlineName: "")
        let error = #expect(throws: RikerError.self) { try f.pack("1", limits: limits) }
        #expect(error?.message.contains("over build.max_slug_mb=1 (biggest: .heroku/big") == true, "\(error?.message ?? "")")
    }

    @Test func aMalformedLayerListFailsTheBuildNamingItsLine() throws {
        let cases = [
            "vendor/bundle": ".riker/layers line 2: 'vendor/bundle' is not a top-level name: list one top-level file or directory a line, optionally followed by a fingerprint (see buildpacks/README.md)",
            ".heroku a b": ".riker/layers line 2: expected a name and at most one fingerprint, found 3 fields: list one top-level file or directory a line, optionally followed by a fingerprint (see buildpacks/README.md)",
            "..": ".riker/layers line 2: '..' is not a top-level name: list one top-level file or directory a line, optionally followed by a fingerprint (see buildpacks/README.md)",
        ]
        for (line, message) in cases {
            let f = try Fixture(["app.py": "", ".riker/layers": "# layers\n\(line)\n"]); defer { f.temp.remove() }
            let error = #expect(throws: RikerError.self) { try f.pack("1") }
            #expect(error?.code == .buildFailed)
            #expect(error?.message == message)
        }
    }

    @Test func buildpacksListingOnePathTogetherVouchForItWithBothFingerprints() throws {
        let layers = try SlugLayerPlan.parse(".heroku one\nnode_modules\n\n.heroku two\n")
        #expect(layers == [.init(name: ".heroku", fingerprint: "one"), .init(name: "node_modules"), .init(name: ".heroku", fingerprint: "two")])
        let f = try Fixture(["app.py": "", ".heroku/x": "", ".riker/layers": ".heroku one\n.heroku two\nabsent tok\n"]); defer { f.temp.remove() }
        let plan = try SlugLayerPlan.read(buildDir: f.app, present: [".heroku", "app.py", ".riker"])
        #expect(plan.dependencies == [.init(name: ".heroku", fingerprint: "one two")])
    }
}
