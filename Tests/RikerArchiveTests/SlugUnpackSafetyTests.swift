import Foundation
import RikerArchive
import RikerCore
import RikerTestSupport
import Testing

/// Hostile slugs, built with Python's tarfile: each must be refused with nothing written
/// outside the target and nothing left behind.
@Suite struct SlugUnpackSafetyTests {
    typealias Member = ArchiveFixtures.Member

    /// Layout: tmp/outside/secret.txt (must stay untouched), tmp/releases/ (parent of the
    /// target, must stay empty). Returns the error the unpack threw.
    private func expectRefused(_ members: (TempDir) -> [Member], mentioning expected: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let tmp = try TempDir("riker-evil")
        defer { tmp.remove() }
        try ArchiveFixtures.write(["outside/secret.txt": "secret\n"], under: tmp.url)
        try FileManager.default.createDirectory(at: tmp.path("releases"), withIntermediateDirectories: true)
        let slug = tmp.path("evil.tar.gz")
        try ArchiveFixtures.tarfile(members(tmp), to: slug)

        let target = tmp.path("releases/v1")
        let error = #expect(throws: RikerError.self, sourceLocation: sourceLocation) { try SlugArchive.unpack(slug, into: target) }
        #expect(error?.code == .archive, sourceLocation: sourceLocation)
        #expect(error?.message.hasPrefix("refusing slug entry '") == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
        #expect(ArchiveFixtures.contents(of: tmp.path("releases")) == [], "nothing left behind", sourceLocation: sourceLocation)
        #expect(ArchiveFixtures.contents(of: tmp.path("outside")) == ["secret.txt"], "nothing written outside", sourceLocation: sourceLocation)
        #expect(FileManager.default.contents(atPath: tmp.path("outside/secret.txt").path) == Data("secret\n".utf8), sourceLocation: sourceLocation)
        var info = stat()
        lstat(tmp.path("outside/secret.txt").path, &info)
        #expect(info.st_nlink == 1, "no hard link to the outside file", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == ["evil.tar.gz", "outside", "releases"],
                sourceLocation: sourceLocation)
    }

    @Test func refusesAnAbsolutePath() throws {
        try expectRefused({ tmp in [
            Member(name: "ok.txt", data: "fine"),
            Member(name: tmp.path("outside/planted.txt").path, data: "pwned"),
        ] }, mentioning: "absolute path")
    }

    @Test func refusesADotDotPath() throws {
        try expectRefused({ _ in [
            Member(name: "ok.txt", data: "fine"),
            Member(name: "../escaped.txt", data: "pwned"),
        ] }, mentioning: "'..'")
        try expectRefused({ _ in [Member(name: "app/../../../outside/planted.txt", data: "pwned")] }, mentioning: "'..'")
    }

    @Test func refusesASymlinkToEtcAndTheFileWrittenThroughIt() throws {
        let planted = "riker-test-\(UUID().uuidString.prefix(8))"
        defer { unlink("/etc/\(planted)") }
        try expectRefused({ _ in [
            Member(name: "etc", type: "symlink", linkname: "/etc"),
            Member(name: "etc/\(planted)", data: "pwned"),
        ] }, mentioning: "symlink to absolute path '/etc'")
        #expect(!FileManager.default.fileExists(atPath: "/etc/\(planted)"))
    }

    @Test func refusesARelativeSymlinkOutAndTheFileWrittenThroughIt() throws {
        try expectRefused({ _ in [
            Member(name: "up", type: "symlink", linkname: "../../outside"),
            Member(name: "up/planted.txt", data: "pwned"),
        ] }, mentioning: "points outside")
    }

    @Test func refusesASymlinkThatClimbsOutThroughAnotherSymlink() throws {
        // `here -> .` is harmless, but `there -> here/../x` would resolve above the root.
        try expectRefused({ _ in [
            Member(name: "here", type: "symlink", linkname: "."),
            Member(name: "there", type: "symlink", linkname: "here/../outside"),
        ] }, mentioning: "'..' after a name")
    }

    @Test func refusesAnEntryWrittenThroughAnInsideSymlink() throws {
        try expectRefused({ _ in [
            Member(name: "real", type: "dir"),
            Member(name: "alias", type: "symlink", linkname: "real"),
            Member(name: "alias/file.txt", data: "x"),
        ] }, mentioning: "goes through symlink 'alias'")
    }

    @Test func refusesAHardLinkOutside() throws {
        try expectRefused({ tmp in [
            Member(name: "secret", type: "hardlink", linkname: tmp.path("outside/secret.txt").path),
            Member(name: "secret", data: "overwritten"),
        ] }, mentioning: "hard link to")
        try expectRefused({ _ in [
            Member(name: "secret", type: "hardlink", linkname: "../../outside/secret.txt"),
        ] }, mentioning: "hard link to")
    }

    @Test func refusesAHardLinkToASymlink() throws {
        // The link is fine where it is (a/b/l -> ../../x stays inside), but a hard link to it
        // at the top would point two levels above the root.
        try expectRefused({ _ in [
            Member(name: "a/b", type: "dir"),
            Member(name: "a/b/l", type: "symlink", linkname: "../../x"),
            Member(name: "l", type: "hardlink", linkname: "a/b/l"),
        ] }, mentioning: "hard link to symlink")
    }

    @Test func refusesFifosAndDevices() throws {
        try expectRefused({ _ in [Member(name: "pipe", type: "fifo")] }, mentioning: "device, fifo or socket")
        try expectRefused({ _ in [Member(name: "null", type: "chr")] }, mentioning: "device, fifo or socket")
    }

    @Test func refusesAFileOrLinkInPlaceOfTheTopDirectory() throws {
        try expectRefused({ _ in [Member(name: "./", type: "symlink", linkname: "../outside")] }, mentioning: "top directory")
        try expectRefused({ _ in [Member(name: ".", data: "x")] }, mentioning: "top directory")
    }

    @Test func acceptsAnArchiveWithInsideLinksAndHardLinks() throws {
        let tmp = try TempDir("riker-evil")
        defer { tmp.remove() }
        try ArchiveFixtures.tarfile([
            Member(name: "./lib", type: "dir"),
            Member(name: "./lib/a.txt", data: "a"),
            Member(name: "lib/b.txt", type: "hardlink", linkname: "lib/a.txt"),
            Member(name: "bin/tool", type: "symlink", linkname: "../lib/a.txt"),
        ], to: tmp.path("ok.tar.gz"))
        try SlugArchive.unpack(tmp.path("ok.tar.gz"), into: tmp.path("out"))
        #expect(FileManager.default.contents(atPath: tmp.path("out/lib/b.txt").path) == Data("a".utf8))
        #expect(FileManager.default.contents(atPath: tmp.path("out/bin/tool").path) == Data("a".utf8))
    }
}
