import Foundation
import RikerTestSupport
import Testing

/// `git push` over a real sshd builds, releases and serves the app (the embedded default).
@Suite(.serialized) struct PushTests {
    @Test func procfileAppPushDeploysAndSecondPushReplacesIt() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)

        let first = try server.push(repo.url, app: "plain")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("-----> Released v1 ("))
        let url = try #require(deployedURL(first.output), "no Deployed line in: \(first.output)")
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let page1 = try #require(try httpGet(url))
        #expect(page1.status == 200)

        // A changed commit makes v2, served on the same URL.
        try repo.write("version.txt", "second\n")
        let commit2 = try repo.commitAll("second")
        let second = try server.push(repo.url, app: "plain")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("-----> Released v2 (\(commit2.prefix(7)))"))
        #expect(deployedURL(second.output) == url)
        let page2 = try #require(try httpGet(url + "/version.txt"))
        #expect(page2.body.contains("second"))

        // The release is tagged in the app's repository once git accepted the push.
        let tags = try sh("git", ["--git-dir", server.root.appendingPathComponent("repos/plain.git").path, "tag", "-l", "riker/*"])
        #expect(tags.output.contains("riker/production/v2"))
    }

    @Test func staticSiteIsDetectedAndServed() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: ["index.html": "<h1>hello from riker</h1>\n"], in: server.dir, name: "site")
        let r = try server.push(repo.url, app: "site")
        #expect(r.succeeded, "\(r.output)")
        #expect(r.output.lowercased().contains("static"))
        let url = try #require(deployedURL(r.output))
        #expect(try httpGet(url)?.body.contains("hello from riker") == true)
    }

    @Test func pythonAppBuildsAndServesTheCommitAndReusesTheCache() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(example: "python-flask", in: server.dir)
        let first = try server.push(repo.url, app: "py")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("-----> Python app detected"))
        let url = try #require(deployedURL(first.output))
        let commit1 = try AppRepo.git(repo.url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try httpGet(url)?.body.contains(String(commit1.prefix(7))) == true)

        try repo.write("NOTES.md", "change\n")
        let commit2 = try repo.commitAll("change")
        let second = try server.push(repo.url, app: "py")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("reusing cached packages"))
        #expect(try httpGet(url)?.body.contains(String(commit2.prefix(7))) == true)
    }

    @Test func failingBuildIsRejectedAndTheOldReleaseKeepsServing() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let first = try server.push(repo.url, app: "fails")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        let goodCommit = try AppRepo.git(repo.url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)

        // A Procfile that cannot be parsed, and a buildpack that fails: both must be rejected.
        try repo.write("requirements.txt", "this-package-does-not-exist-riker-test==0.0.1\n")
        try repo.commitAll("break the build")
        let bad = try server.push(repo.url, app: "fails")
        #expect(!bad.succeeded)
        #expect(bad.output.contains("pre-receive hook declined"), "\(bad.output)")

        let remoteHead = try sh("git", ["--git-dir", server.root.appendingPathComponent("repos/fails.git").path, "rev-parse", "refs/heads/main"])
        #expect(remoteHead.output.trimmingCharacters(in: .whitespacesAndNewlines) == goodCommit)
        let releases = try server.riker(["releases", "fails", "--json"])
        #expect(releases.output.components(separatedBy: "\"version\"").count - 1 == 1, "\(releases.output)")
        #expect(try httpGet(url)?.status == 200)
    }

    @Test func unhealthyReleaseIsRejectedAndRolledBack() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let first = try server.push(repo.url, app: "sick")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        _ = try server.riker(["apps:set", "sick", "deploy.timeout_seconds=5"])

        try repo.write("Procfile", "web: sleep 600\n")
        try repo.commitAll("web never listens")
        let bad = try server.push(repo.url, app: "sick")
        #expect(!bad.succeeded)
        #expect(bad.output.contains("v2"), "\(bad.output)")
        #expect(bad.output.contains("v1 is still serving"), "\(bad.output)")
        #expect(try httpGet(url)?.status == 200)
        let info = try server.riker(["apps:info", "sick", "--json"])
        #expect(info.output.contains("\"current\" : 1"), "\(info.output)")
    }

    @Test func serveRestartBringsTheCurrentReleaseBack() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(example: "procfile-only", in: server.dir)
        let first = try server.push(repo.url, app: "again")
        #expect(first.succeeded, "\(first.output)")
        let url = try #require(deployedURL(first.output))
        try server.restartServe()
        var page: (status: Int, body: String)?
        for _ in 0..<100 {
            page = try httpGet(url)
            if page?.status == 200 { break }
            usleep(100_000)
        }
        #expect(page?.status == 200)
    }
}
