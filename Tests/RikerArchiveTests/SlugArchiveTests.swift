import Foundation
import RikerArchive
import RikerCore
import RikerTestSupport
import Testing

@Suite struct SlugArchiveTests {
    private func makeApp(at root: URL) throws {
        try ArchiveFixtures.write([
            "Procfile": "web: ./bin/web\n",
            "bin/web": "#!/bin/sh\nexec python app.py\n",
            "app.py": "print('hi')\n",
            "lib/data.bin": String(repeating: "\u{1}\u{2}binary", count: 40_000),
            "lib/current": "->data.bin",
            "lib/up": "->../app.py",
            "static/\u{e9}t\u{e9}.css": "body{}\n",
            String(repeating: "long-directory-name/", count: 8) + "file.txt": "deep\n",
        ], under: root)
        chmod(root.appendingPathComponent("bin/web").path, 0o755)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp/empty"), withIntermediateDirectories: true)
        chmod(root.appendingPathComponent("tmp/empty").path, 0o700)
    }

    @Test(arguments: [SlugCompression.zstd, .gzip])
    func roundTripKeepsContentModesSymlinksAndEmptyDirectories(compression: SlugCompression) throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        let app = tmp.path("app")
        try makeApp(at: app)

        let slug = try SlugArchive.pack(directory: app, to: tmp.path("out/slug.\(compression.fileExtension)"), compression: compression)
        let out = tmp.path("releases/v1")
        try SlugArchive.unpack(slug.file, into: out)

        #expect(ArchiveFixtures.contents(of: out) == ArchiveFixtures.contents(of: app))
        for path in ["Procfile", "app.py", "lib/data.bin", "static/\u{e9}t\u{e9}.css", String(repeating: "long-directory-name/", count: 8) + "file.txt"] {
            #expect(FileManager.default.contents(atPath: out.appendingPathComponent(path).path) == FileManager.default.contents(atPath: app.appendingPathComponent(path).path), "\(path)")
        }
        #expect(ArchiveFixtures.mode(out.appendingPathComponent("bin/web")) & 0o777 == 0o755)
        #expect(ArchiveFixtures.mode(out.appendingPathComponent("app.py")) & 0o111 == 0)
        #expect(ArchiveFixtures.mode(out.appendingPathComponent("tmp/empty")) & 0o777 == 0o700)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("lib/current").path) == "data.bin")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("lib/up").path) == "../app.py")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path("releases").path) == ["v1"], "no partial directory left")
    }

    @Test func packedSlugReportsTheFilesSHA256AndSize() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try makeApp(at: tmp.path("app"))
        let slug = try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.zst"))
        let sha256sum = try ArchiveFixtures.run("sha256sum", [slug.file.path]).split(separator: " ").first.map(String.init)
        #expect(slug.sha256 == sha256sum)
        #expect(try SlugArchive.sha256(of: slug.file) == sha256sum)
        let size = try FileManager.default.attributesOfItem(atPath: slug.file.path)[.size] as? Int64
        #expect(slug.size == size)
        #expect(slug.compression == .zstd)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == ["app", "slug.tar.zst"], "no temp file left")
        // zstd's own tool reads it, so it is a plain zstd frame.
        try ArchiveFixtures.run("zstd", ["-t", "-q", slug.file.path])
    }

    @Test func sha256OfAFileIsStreamedHex() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try Data("abc".utf8).write(to: tmp.path("abc"))
        #expect(try SlugArchive.sha256(of: tmp.path("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(throws: RikerError.self) { try SlugArchive.sha256(of: tmp.path("missing")) }
    }

    @Test(arguments: [SlugCompression.zstd, .gzip])
    func sameContentGivesByteIdenticalSlugsWhateverTheTimesAndCreationOrder(compression: SlugCompression) throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try makeApp(at: tmp.path("a"))
        let first = try SlugArchive.pack(directory: tmp.path("a"), to: tmp.path("1.slug"), compression: compression)
        // Same files, written in another order, at other times, in another directory.
        let b = tmp.path("b")
        try FileManager.default.createDirectory(at: b.appendingPathComponent("tmp/empty"), withIntermediateDirectories: true)
        chmod(b.appendingPathComponent("tmp/empty").path, 0o700)
        sleep(1)
        try makeApp(at: b)
        let second = try SlugArchive.pack(directory: b, to: tmp.path("2.slug"), compression: compression)
        let third = try SlugArchive.pack(directory: tmp.path("a"), to: tmp.path("3.slug"), compression: compression)

        #expect(first.sha256 == second.sha256)
        #expect(first.sha256 == third.sha256)
        #expect(FileManager.default.contents(atPath: first.file.path) == FileManager.default.contents(atPath: second.file.path))
    }

    @Test func entriesAreSortedRelativeOwnedByRootWithAFixedTime() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try ArchiveFixtures.write(["b.txt": "b", "a/z.txt": "z", "a-b": "x", "A": "upper", "run": "#!/bin/sh\n"], under: tmp.path("app"))
        chmod(tmp.path("app/run").path, 0o755)
        let slug = try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.gz"), compression: .gzip)
        let listing = try ArchiveFixtures.listing(of: slug.file)
        #expect(listing.map { $0.split(separator: "|", omittingEmptySubsequences: false)[0] } == ["A", "a", "a-b", "a/z.txt", "b.txt", "run"])
        for line in listing {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            #expect(fields[1] == "0" && fields[2] == "0" && fields[3] == "" && fields[4] == "", "\(line)")
            #expect(fields[5] == "946684800", "\(line)")
        }
        #expect(listing.last?.contains("|0o755|") == true)
    }

    @Test func gitDirectoriesAndExcludedPathsAreLeftOut() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        let app = tmp.path("app")
        try ArchiveFixtures.write([
            "app.py": "x",
            ".git/HEAD": "ref: refs/heads/main\n",
            "vendor/lib/.git": "gitdir: ../../.git/modules/lib\n",
            "vendor/lib/lib.py": "y",
            "tmp/cache/big.bin": "cache",
            "log/dev.log": "log",
            "log/keep.txt": "keep",
            ".slugignore": "tmp\nlog/dev.log\n",
        ], under: app)
        var asked: [String] = []
        let slug = try SlugArchive.pack(directory: app, to: tmp.path("slug.tar.zst")) { path in
            asked.append(path)
            return path == "tmp" || path == "log/dev.log"
        }
        let out = tmp.path("out")
        try SlugArchive.unpack(slug.file, into: out)
        #expect(ArchiveFixtures.contents(of: out) == [".slugignore", "app.py", "log", "log/keep.txt", "vendor", "vendor/lib", "vendor/lib/lib.py"])
        #expect(!asked.contains("tmp/cache"), "an excluded directory's contents are not visited")
        #expect(!asked.contains(where: { $0.hasPrefix(".git") }))
    }

    @Test func packRefusesASymlinkTheAgentWouldRefuse() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try ArchiveFixtures.write(["app.py": "x", "bin/python": "->/usr/bin/python3"], under: tmp.path("app"))
        let error = #expect(throws: RikerError.self) { try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.zst")) }
        #expect(error?.code == .archive)
        #expect(error?.message.contains("bin/python") == true)
        #expect(!FileManager.default.fileExists(atPath: tmp.path("slug.tar.zst").path))
    }

    @Test func anEmptyDirectoryPacksAndUnpacks() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(at: tmp.path("app"), withIntermediateDirectories: true)
        let slug = try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.zst"))
        try SlugArchive.unpack(slug.file, into: tmp.path("out"))
        #expect(ArchiveFixtures.contents(of: tmp.path("out")) == [])
    }

    @Test func slugsMadeByGNUTarUnpackToo() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try makeApp(at: tmp.path("app"))
        try ArchiveFixtures.run("tar", ["czf", tmp.path("gnu.tar.gz").path, "-C", tmp.path("app").path, "."])
        try ArchiveFixtures.run("tar", ["--zstd", "-cf", tmp.path("gnu.tar.zst").path, "-C", tmp.path("app").path, "."])
        try SlugArchive.unpack(tmp.path("gnu.tar.gz"), into: tmp.path("gz"))
        try SlugArchive.unpack(tmp.path("gnu.tar.zst"), into: tmp.path("zst"))
        #expect(ArchiveFixtures.contents(of: tmp.path("gz")) == ArchiveFixtures.contents(of: tmp.path("app")))
        #expect(ArchiveFixtures.contents(of: tmp.path("zst")) == ArchiveFixtures.contents(of: tmp.path("app")))
        #expect(ArchiveFixtures.mode(tmp.path("zst/bin/web")) & 0o777 == 0o755)
    }

    @Test func unpackRefusesAnExistingDirectoryAndGarbage() throws {
        let tmp = try TempDir("riker-slug")
        defer { tmp.remove() }
        try makeApp(at: tmp.path("app"))
        let slug = try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.zst"))
        try FileManager.default.createDirectory(at: tmp.path("releases/v1"), withIntermediateDirectories: true)
        let exists = #expect(throws: RikerError.self) { try SlugArchive.unpack(slug.file, into: tmp.path("releases/v1")) }
        #expect(exists?.code == .alreadyExists)

        try Data(repeating: 0x42, count: 4096).write(to: tmp.path("garbage.tar.zst"))
        let garbage = #expect(throws: RikerError.self) { try SlugArchive.unpack(tmp.path("garbage.tar.zst"), into: tmp.path("releases/v2")) }
        #expect(garbage?.code == .archive)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path("releases").path) == ["v1"])
    }
}
