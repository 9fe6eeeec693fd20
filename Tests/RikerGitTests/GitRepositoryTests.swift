import Foundation
import RikerCore
import RikerGit
import RikerTestSupport
import Testing

@Suite struct GitRepositoryTests {
    @Test func checkoutFromBareRepoWritesFilesExecBitsSymlinksAndNestedDirsWithoutGit() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("work")
        let id = try GitCLI.commit([
            "README.md": "hello\n",
            "bin/run": "#!/bin/sh\necho run\n",
            "link": "->README.md",
            "nested/deep/file.txt": "deep\n",
        ], in: work, executable: ["bin/run"])
        try GitCLI.run(["clone", "-q", "--bare", work.path, tmp.path("bare.git").path], in: tmp.url)

        let repository = try GitRepository.open(tmp.path("bare.git"), environment: [:])
        let out = tmp.path("checkout")
        try repository.checkout(commit: id, to: out)

        #expect(try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8) == "hello\n")
        #expect(try String(contentsOf: out.appendingPathComponent("nested/deep/file.txt"), encoding: .utf8) == "deep\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("link").path) == "README.md")
        #expect(mode(out.appendingPathComponent("bin/run")) & 0o111 != 0)
        #expect(mode(out.appendingPathComponent("README.md")) & 0o111 == 0)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(".git").path))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("bare.git/index").path), "the bare repository gets no index")
    }

    @Test func checkoutOfAnOlderCommitWritesThatCommitsContent() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("work")
        let first = try GitCLI.commit(["app.txt": "v1\n"], in: work)
        try GitCLI.commit(["app.txt": "v2\n"], in: work)
        let out = tmp.path("out")
        try GitRepository.open(work, environment: [:]).checkout(commit: first, to: out)
        #expect(try String(contentsOf: out.appendingPathComponent("app.txt"), encoding: .utf8) == "v1\n")
    }

    @Test func checkoutRefusesATreeEntryNamedDotDot() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let repo = tmp.path("evil.git")
        try GitCLI.run(["init", "-q", "--bare", repo.path], in: tmp.url)
        try Data("pwned\n".utf8).write(to: tmp.path("payload"))
        let blob = try GitCLI.run(["hash-object", "-w", tmp.path("payload").path], in: repo)
        // A tree whose entry is literally "..", holding a file: checked out naively it lands
        // next to the checkout directory. Only `--literally` lets git store it.
        let inner = try literalTree(["100644 escaped.txt": blob], in: repo, tmp: tmp)
        let outer = try literalTree(["40000 ..": inner], in: repo, tmp: tmp)
        let commit = try GitCLI.run(["commit-tree", outer, "-m", "evil"], in: repo)

        let out = tmp.path("a/checkout")
        let repository = try GitRepository.open(repo, environment: [:])
        let error = #expect(throws: RikerError.self) { try repository.checkout(commit: commit, to: out) }
        #expect(error?.code == .git)
        #expect(error?.message.contains("'..'") == true)
        #expect(!FileManager.default.fileExists(atPath: tmp.path("a/escaped.txt").path))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func resolveCommitAcceptsBranchesFullRefsAbbreviatedIdsAndAnnotatedTags() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("work")
        let id = try GitCLI.commit(["a": "1"], in: work, message: "First line\n\nbody")
        try GitCLI.run(["tag", "-a", "v1", "-m", "release"], in: work)
        let repository = try GitRepository.open(work, environment: [:])

        #expect(try repository.resolveCommit("main") == id)
        #expect(try repository.resolveCommit("refs/heads/main") == id)
        #expect(try repository.resolveCommit(String(id.prefix(8))) == id)
        #expect(try repository.resolveCommit("v1") == id)
        #expect(try repository.summary(of: "main") == "First line")
        let error = #expect(throws: RikerError.self) { try repository.resolveCommit("no-such-branch") }
        #expect(error?.code == .git)
        #expect(error?.message.contains("no-such-branch") == true)
    }

    @Test func setReferenceCreatesAndMovesAReference() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("work")
        let first = try GitCLI.commit(["a": "1"], in: work)
        let second = try GitCLI.commit(["a": "2"], in: work)
        let repository = try GitRepository.open(work, environment: [:])

        try repository.setReference("refs/tags/riker/production/v3", to: first, message: "riker: release v3")
        #expect(try GitCLI.run(["rev-parse", "refs/tags/riker/production/v3"], in: work) == first)
        try repository.setReference("refs/tags/riker/production/v3", to: "main", message: "riker: move")
        #expect(try GitCLI.run(["rev-parse", "refs/tags/riker/production/v3"], in: work) == second)
    }

    @Test func initBareCreatesParentsAndFetchBringsBranchesIn() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("work")
        let id = try GitCLI.commit(["a": "1"], in: work)
        let barePath = tmp.path("apps/demo/repo.git")

        let bare = try GitRepository.initBare(barePath)
        #expect(try GitCLI.run(["rev-parse", "--is-bare-repository"], in: barePath) == "true")
        #expect(throws: RikerError.self) { try bare.resolveCommit("main") }

        try bare.fetch(url: "file://\(work.path)", refspecs: ["+refs/heads/*:refs/heads/*"])
        #expect(try bare.resolveCommit("main") == id)
    }

    @Test func cloneOfAFileURLChecksOutATagABranchOrTheDefaultBranch() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("buildpack")
        try GitCLI.commit(["bin/detect": "v1\n"], in: work, executable: ["bin/detect"])
        try GitCLI.run(["tag", "-a", "v1", "-m", "v1"], in: work)
        try GitCLI.run(["checkout", "-q", "-b", "next"], in: work)
        try GitCLI.commit(["bin/detect": "next\n"], in: work, executable: ["bin/detect"])
        try GitCLI.run(["checkout", "-q", "main"], in: work)
        try GitCLI.commit(["bin/detect": "v2\n"], in: work, executable: ["bin/detect"])
        let url = "file://\(work.path)"

        let atTag = tmp.path("at-tag")
        try GitRepository.clone(url: url, ref: "v1", to: atTag)
        #expect(try String(contentsOf: atTag.appendingPathComponent("bin/detect"), encoding: .utf8) == "v1\n")
        #expect(mode(atTag.appendingPathComponent("bin/detect")) & 0o111 != 0)

        let atBranch = tmp.path("at-branch")
        try GitRepository.clone(url: url, ref: "next", to: atBranch)
        #expect(try String(contentsOf: atBranch.appendingPathComponent("bin/detect"), encoding: .utf8) == "next\n")

        let atDefault = tmp.path("at-default")
        try GitRepository.clone(url: url, ref: nil, to: atDefault)
        #expect(try String(contentsOf: atDefault.appendingPathComponent("bin/detect"), encoding: .utf8) == "v2\n")

        let missing = tmp.path("missing")
        let error = #expect(throws: RikerError.self) { try GitRepository.clone(url: url, ref: "v9", to: missing) }
        #expect(error?.message.contains("v9") == true)
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }

    @Test func cloneOfAPlainLocalPathWorks() throws {
        let tmp = try TempDir("riker-git")
        defer { tmp.remove() }
        let work = tmp.path("buildpack")
        try GitCLI.commit(["bin/compile": "x\n"], in: work)
        let out = tmp.path("clone")
        try GitRepository.clone(url: work.path, ref: "main", to: out)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("bin/compile").path))
    }

    @Test func openOfAMissingRepositoryNamesThePath() throws {
        let error = #expect(throws: RikerError.self) {
            try GitRepository.open(URL(fileURLWithPath: "/nonexistent/riker/app.git"), environment: [:])
        }
        #expect(error?.code == .git)
        #expect(error?.message.contains("/nonexistent/riker/app.git") == true)
    }

    // MARK: helpers

    private func mode(_ url: URL) -> mode_t {
        var info = stat()
        stat(url.path, &info)
        return info.st_mode
    }

    /// Writes a tree object without git's checks (`hash-object --literally`), entries given as
    /// "MODE NAME" → object id.
    private func literalTree(_ entries: [String: String], in repo: URL, tmp: TempDir) throws -> String {
        var bytes = Data()
        for (header, id) in entries.sorted(by: { $0.key < $1.key }) {
            bytes.append(contentsOf: Array(header.utf8) + [0])
            var raw = [UInt8]()
            var index = id.startIndex
            while index < id.endIndex {
                let next = id.index(index, offsetBy: 2)
                raw.append(UInt8(id[index..<next], radix: 16)!)
                index = next
            }
            bytes.append(contentsOf: raw)
        }
        let file = tmp.path("tree-\(UUID().uuidString.prefix(6))")
        try bytes.write(to: file)
        return try GitCLI.run(["hash-object", "-t", "tree", "--literally", "-w", file.path], in: repo)
    }
}
