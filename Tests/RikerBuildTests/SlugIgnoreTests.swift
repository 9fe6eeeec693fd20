import Foundation
import Testing
@testable import RikerBuild

@Suite struct SlugIgnoreTests {
    @Test func patternsFollowGitignoreRules() {
        let ignore = SlugIgnore(parsing: """
            # comment
            *.psd
            /docs
            tmp/
            spec/fixtures/*.bin
            build?.log
            **/cache-[0-9]
            !keep.psd
            """)
        #expect(ignore.matches("art.psd", isDirectory: false))
        #expect(ignore.matches("assets/img/art.psd", isDirectory: false))
        #expect(ignore.matches("docs", isDirectory: true))
        #expect(!ignore.matches("lib/docs", isDirectory: true))          // leading / anchors
        #expect(ignore.matches("lib/tmp", isDirectory: true))
        #expect(!ignore.matches("tmp", isDirectory: false))              // tmp/ is directories only
        #expect(ignore.matches("spec/fixtures/big.bin", isDirectory: false))
        #expect(!ignore.matches("spec/fixtures/deep/big.bin", isDirectory: false)) // * stops at /
        #expect(!ignore.matches("other/spec/fixtures/big.bin", isDirectory: false)) // inner / anchors
        #expect(ignore.matches("build1.log", isDirectory: false))
        #expect(!ignore.matches("build12.log", isDirectory: false))
        #expect(ignore.matches("a/b/cache-7", isDirectory: true))
        #expect(!ignore.matches("a/b/cache-x", isDirectory: true))
        #expect(ignore.matches("keep.psd", isDirectory: false))          // no negation, as on Heroku
        #expect(!ignore.matches("app.py", isDirectory: false))
    }

    @Test func slugignoredFilesAreRemovedAfterCompile() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp([
            "Procfile": "web: true\n",
            ".slugignore": "*.psd\n/docs\ntmp/\n",
            "art.psd": "x", "img/logo.psd": "x", "img/logo.png": "x",
            "docs/guide.md": "x", "lib/docs/keep.md": "x", "tmp/a": "x", "keep.txt": "x",
        ])
        // The compile sees everything (it runs before .slugignore is applied) and adds a file that is ignored too.
        let pack = try f.buildpack("seer", compile: "ls \"$1/docs\" > \"$1/seen\"; mkdir -p \"$1/tmp\"; touch \"$1/tmp/made-by-compile\"")
        _ = try f.build(config: ["BUILDPACK_URL": pack.path]).result.get()
        let fm = FileManager.default
        for gone in ["art.psd", "img/logo.psd", "docs", "tmp"] { #expect(!fm.fileExists(atPath: f.app.appendingPathComponent(gone).path), "\(gone)") }
        for kept in ["img/logo.png", "lib/docs/keep.md", "keep.txt", "Procfile"] { #expect(fm.fileExists(atPath: f.app.appendingPathComponent(kept).path), "\(kept)") }
        #expect(f.read("seen") == "guide.md\n")
    }
}
