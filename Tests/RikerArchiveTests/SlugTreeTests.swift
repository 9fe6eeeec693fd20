import Foundation
import RikerArchive
import RikerCore
import RikerTestSupport
import Testing

/// One walk of a built app dir, split by top-level name into layers: each layer packs only its
/// entries, deterministically, the cap applies to the whole tree, and the metadata digest moves
/// exactly when a file does.
@Suite struct SlugTreeTests {
    private func app(_ tmp: TempDir) throws -> URL {
        let root = tmp.path("app")
        try ArchiveFixtures.write([".heroku/python/lib/flask.py": "flask\n", ".heroku/python/bin/gunicorn": "#!/bin/sh\n",
                                   "app.py": "print(1)\n", "Procfile": "web: python app.py\n", "static/x.css": "body{}"], under: root)
        return root
    }

    @Test func aLayerPacksOnlyTheEntriesUnderItsTopLevelNames() throws {
        let tmp = try TempDir("riker-tree"); defer { tmp.remove() }
        let tree = try SlugTree.scan(try app(tmp))
        #expect(tree.topLevelNames == [".heroku", "app.py", "Procfile", "static"])
        let deps = tree.subset(topLevel: [".heroku"], keep: true)
        let rest = tree.subset(topLevel: [".heroku"], keep: false)
        #expect(deps.count + rest.count == tree.count)
        #expect(deps.unpackedSize + rest.unpackedSize == tree.unpackedSize)

        let packed = try SlugArchive.pack(deps, to: tmp.path("deps.tar.gz"), compression: .gzip)
        let names = try ArchiveFixtures.listing(of: packed.file).map { String($0.split(separator: "|")[0]) }
        #expect(names == [".heroku", ".heroku/python", ".heroku/python/bin", ".heroku/python/bin/gunicorn",
                          ".heroku/python/lib", ".heroku/python/lib/flask.py"])
        try SlugArchive.unpack(try SlugArchive.pack(rest, to: tmp.path("rest.tar.zst")).file, into: tmp.path("out"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path("out").path)) == ["app.py", "Procfile", "static"])
    }

    @Test func theSameEntriesPackToTheSameBytesWhateverTheirTimes() throws {
        let tmp = try TempDir("riker-tree"); defer { tmp.remove() }
        let root = try app(tmp)
        let first = try SlugArchive.pack(try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true), to: tmp.path("a.tar.zst"))
        // Same contents, written again later: new times, same layer.
        try Data("flask\n".utf8).write(to: root.appendingPathComponent(".heroku/python/lib/flask.py"))
        let second = try SlugArchive.pack(try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true), to: tmp.path("b.tar.zst"))
        #expect(first.sha256 == second.sha256)
    }

    @Test func theMetadataDigestChangesWhenAFileIsWrittenAndOnlyThen() throws {
        let tmp = try TempDir("riker-tree"); defer { tmp.remove() }
        let root = try app(tmp)
        let before = try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true).metadataDigest()
        #expect(try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true).metadataDigest() == before)
        // The app layer changing leaves the dependencies layer's digest alone.
        try Data("print(2)\n".utf8).write(to: root.appendingPathComponent("app.py"))
        #expect(try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true).metadataDigest() == before)

        let file = root.appendingPathComponent(".heroku/python/lib/flask.py")
        var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, file.path, &times, 0)
        let touched = try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true).metadataDigest()
        #expect(touched != before)
        chmod(file.path, 0o444)
        #expect(try SlugTree.scan(root).subset(topLevel: [".heroku"], keep: true).metadataDigest() != touched)
    }

    @Test func theSizeCapAppliesToTheWholeTreeBeforeAnyLayerIsPacked() throws {
        let tmp = try TempDir("riker-tree"); defer { tmp.remove() }
        let root = try app(tmp)
        let limits = SlugLimits(maxBytes: 20, limitName: "build.max_slug_mb=1", raiseHint: "", deadline: nil, deadlineName: "")
        let error = #expect(throws: RikerError.self) { try SlugTree.scan(root, limits: limits) }
        #expect(error?.message.hasPrefix("slug is ") == true && error?.message.contains("over build.max_slug_mb=1") == true, "\(error?.message ?? "")")
    }
}
