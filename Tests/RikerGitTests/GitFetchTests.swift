import Foundation
import RikerCore
import RikerGit
import RikerTestSupport
import Testing

/// `fetchBranch` against real git servers: local paths, `git daemon`, smart HTTP with a token
/// (`git http-backend`), and OpenSSH with deploy keys.
@Suite struct GitFetchTests {
    let tmp: TempDir
    let source: URL
    let app: GitRepository

    init() throws {
        tmp = try TempDir("riker-fetch")
        source = tmp.path("source")
        app = try GitRepository.initBare(tmp.path("app.git"))
    }

    /// A first commit of `count` files in the source repository.
    @discardableResult
    func commitMany(_ count: Int, tag: String = "v1") throws -> String {
        var files: [String: String] = [:]
        for i in 0..<count { files["src/file\(i).txt"] = "\(tag) content of file \(i)\n" }
        return try GitCLI.commit(files, in: source, message: "many files \(tag)")
    }

    /// A bare copy of the source under `dir/NAME` for servers to serve.
    func publish(_ name: String, in dir: URL) throws -> URL {
        let bare = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try GitCLI.run(["clone", "-q", "--bare", source.path, bare.path], in: tmp.url)
        return bare
    }

    /// Pushes the source's main to a published bare copy.
    func republish(_ bare: URL) throws {
        try GitCLI.run(["push", "-q", "--force", bare.path, "main:main"], in: source)
    }

    func objectCount(_ result: GitFetchResult) -> Int { result.transfer.receivedObjects }

    @Test func aSecondFetchTransfersOnlyTheNewCommitsObjects() throws {
        defer { tmp.remove() }
        let first = try commitMany(40)
        let url = "file://\(source.path)"
        let one = try app.fetchBranch("main", from: url)
        #expect(one.commit == first)
        #expect(one.previousCommit == nil)
        #expect(one.localReference == "refs/remotes/origin/main")
        #expect(try app.resolveCommit("refs/remotes/origin/main") == first)
        #expect(objectCount(one) >= 43, "40 blobs, 2 trees, a commit: \(one.transfer)")

        let second = try GitCLI.commit(["src/file7.txt": "changed\n"], in: source, message: "one change")
        let two = try app.fetchBranch("main", from: url)
        #expect(two.commit == second)
        #expect(two.previousCommit == first)
        #expect((1...4).contains(objectCount(two)), "a commit, two trees, a blob: \(two.transfer)")

        let three = try app.fetchBranch("main", from: url)
        #expect(three.commit == second)
        #expect(objectCount(three) == 0, "\(three.transfer)")
        #expect(try GitCLI.run(["tag", "-l"], in: tmp.path("app.git")) == "", "tags are not fetched")
    }

    @Test func aForcePushedBranchMovesBackAndACustomReferenceIsUsed() throws {
        defer { tmp.remove() }
        let first = try GitCLI.commit(["a": "1"], in: source)
        try GitCLI.commit(["a": "2"], in: source)
        #expect(try app.fetchBranch("main", from: source.path, into: "refs/riker/webhook/main").commit != first)
        try GitCLI.run(["reset", "-q", "--hard", first], in: source)
        let back = try app.fetchBranch("main", from: source.path, into: "refs/riker/webhook/main")
        #expect(back.commit == first)
        #expect(try app.resolveCommit("refs/riker/webhook/main") == first)
        #expect(throws: RikerError.self) { try app.resolveCommit("refs/remotes/origin/main") }
    }

    @Test func aMissingBranchIsNotFoundAndABadNameIsRefused() throws {
        defer { tmp.remove() }
        try GitCLI.commit(["a": "1"], in: source)
        let missing = #expect(throws: RikerError.self) { try app.fetchBranch("staging", from: source.path) }
        #expect(missing?.code == .notFound)
        #expect(missing?.message.contains("'staging'") == true)
        #expect(throws: RikerError.self) { try app.resolveCommit("refs/remotes/origin/staging") }
        for bad in ["", "a..b", "-x", "has space", "x.lock"] {
            let e = #expect(throws: RikerError.self) { try app.fetchBranch(bad, from: source.path) }
            #expect(e?.code == .invalidInput, "\(bad)")
        }
        let e = #expect(throws: RikerError.self) { try app.fetchBranch("main", from: source.path, into: "origin/main") }
        #expect(e?.code == .invalidInput)
    }

    @Test func fetchesIncrementallyFromGitDaemon() throws {
        defer { tmp.remove() }
        let first = try commitMany(30)
        let served = tmp.path("served")
        let bare = try publish("repo.git", in: served)
        let daemon = try GitDaemon(base: served)
        defer { daemon.stop() }

        let one = try app.fetchBranch("main", from: daemon.url("repo.git"))
        #expect(one.commit == first)
        #expect(objectCount(one) >= 33)
        let second = try GitCLI.commit(["src/file3.txt": "new\n"], in: source)
        try republish(bare)
        let two = try app.fetchBranch("main", from: daemon.url("repo.git"))
        #expect(two.commit == second)
        #expect((1...4).contains(objectCount(two)), "\(two.transfer)")

        let missing = #expect(throws: RikerError.self) { try app.fetchBranch("main", from: daemon.url("nope.git")) }
        #expect(missing?.code == .git)
        #expect(missing?.message.contains("nope.git") == true)
    }

    @Test func fetchesOverSmartHTTPWithATokenAndRefusesAWrongOneWithoutShowingIt() throws {
        defer { tmp.remove() }
        let first = try commitMany(10)
        let served = tmp.path("served")
        _ = try publish("repo.git", in: served)
        let token = "ghs_test\(UUID().uuidString.prefix(12))"
        let server = try GitHTTPServer(base: served, token: token)
        defer { server.stop() }
        let url = server.url("repo.git")

        let ok = try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .token(token)))
        #expect(ok.commit == first)
        let log = server.requests()
        #expect(log.first?.hasPrefix("401 GET /repo.git/info/refs") == true, "asked for credentials first: \(log)")
        #expect(log.contains { $0.hasPrefix("200 POST /repo.git/git-upload-pack") }, "\(log)")

        let wrongToken = "ghs_wrong\(UUID().uuidString.prefix(12))"
        let wrong = #expect(throws: RikerError.self) {
            try app.fetchBranch("main", from: url, into: "refs/remotes/other/main", options: GitFetchOptions(credentials: .token(wrongToken)))
        }
        #expect(wrong?.code == .permissionDenied)
        #expect(wrong?.message.contains("refused the token") == true)
        #expect(wrong?.message.contains(wrongToken) == false)
        #expect(wrong?.message.contains("\n") == false)

        let none = #expect(throws: RikerError.self) { try app.fetchBranch("main", from: url, into: "refs/remotes/other/main") }
        #expect(none?.code == .permissionDenied)
        #expect(none?.message.contains("asks for credentials") == true)

        // A token written into the URL itself never shows either.
        let inURL = url.replacingOccurrences(of: "http://", with: "http://x-access-token:\(wrongToken)@")
        let e = #expect(throws: RikerError.self) { try app.fetchBranch("main", from: inURL, into: "refs/remotes/other/main") }
        #expect(e?.message.contains(wrongToken) == false, "\(e?.message ?? "")")
        #expect(throws: RikerError.self) { try app.resolveCommit("refs/remotes/other/main") }
    }

    @Test func fetchesOverHTTPSWithATokenOnceTheServersCAIsTrusted() throws {
        defer { tmp.remove() }
        let first = try commitMany(5)
        let served = tmp.path("served")
        _ = try publish("repo.git", in: served)
        let (ca, certificate, key) = try makeCertificates()
        let token = "ghs_tls\(UUID().uuidString.prefix(12))"
        let server = try GitHTTPServer(base: served, token: token, tls: (certificate, key))
        defer { server.stop() }
        let url = server.url("repo.git")
        #expect(url.hasPrefix("https://"))

        // Until it is trusted, the test CA is just another self-signed certificate. (Trusting it
        // is process-wide: no other test in this process fetches over https.)
        let untrusted = #expect(throws: RikerError.self) {
            try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .token(token)))
        }
        #expect(untrusted?.message.lowercased().contains("certificate") == true, "\(untrusted?.message ?? "")")
        #expect(server.requests().isEmpty, "nothing, the token least of all, was sent: \(server.requests())")

        try GitTLS.trustCertificates(file: ca)
        let ok = try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .token(token)))
        #expect(ok.commit == first)
        #expect(server.requests().first?.hasPrefix("401 GET /repo.git/info/refs") == true, "\(server.requests())")
        #expect(server.requests().contains { $0.hasPrefix("200 POST /repo.git/git-upload-pack") })
    }

    /// A CA and a certificate it signed for 127.0.0.1, made with the openssl command line.
    func makeCertificates() throws -> (ca: URL, certificate: URL, key: URL) {
        let dir = tmp.path("tls")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func openssl(_ args: [String]) throws {
            let r = try sh("openssl", args, cwd: dir)
            guard r.succeeded else { throw RikerError(.process, "openssl \(args.first ?? ""): \(r.output)") }
        }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=Riker Test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try Data("subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\n".utf8).write(to: dir.appendingPathComponent("san.ext"))
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                     "-days", "2", "-extfile", "san.ext"])
        return (dir.appendingPathComponent("ca.pem"), dir.appendingPathComponent("server.pem"), dir.appendingPathComponent("server.key"))
    }

    @Test func fetchesOverSSHWithADeployKeyFromAFileOrFromMemory() throws {
        defer { tmp.remove() }
        let first = try commitMany(10)
        let bare = try publish("repo.git", in: tmp.path("served"))
        let sshd = try GitSSHServer()
        defer { sshd.stop() }
        let key = try generateKey("deploy")
        try sshd.authorize(try String(contentsOf: URL(fileURLWithPath: key.path + ".pub"), encoding: .utf8))
        let url = sshd.url(bare)

        let fromFile = try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .sshKeyFile(key), knownHosts: [sshd.knownHostsLine]))
        #expect(fromFile.commit == first, "\(sshd.log)")

        let second = try GitCLI.commit(["src/file1.txt": "new\n"], in: source)
        try republish(bare)
        let privateKey = try String(contentsOf: key, encoding: .utf8)
        let fromMemory = try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .sshKey(privateKey: privateKey),
                                                                                          knownHosts: ["# pinned", sshd.knownHostsLine]))
        #expect(fromMemory.commit == second)
        #expect((1...4).contains(objectCount(fromMemory)), "\(fromMemory.transfer)")
    }

    @Test func sshRefusesAnUnknownKeyAndAnUnpinnedHostInOneLineWithoutKeyMaterial() throws {
        defer { tmp.remove() }
        try commitMany(3)
        let bare = try publish("repo.git", in: tmp.path("served"))
        let sshd = try GitSSHServer()
        defer { sshd.stop() }
        let authorized = try generateKey("authorized")
        try sshd.authorize(try String(contentsOf: URL(fileURLWithPath: authorized.path + ".pub"), encoding: .utf8))
        let stranger = try generateKey("stranger")
        let strangerKey = try String(contentsOf: stranger, encoding: .utf8)
        let url = sshd.url(bare)

        let refused = #expect(throws: RikerError.self) {
            try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .sshKey(privateKey: strangerKey), knownHosts: [sshd.knownHostsLine]))
        }
        #expect(refused?.code == .permissionDenied)
        #expect(refused?.message.contains("refused the deploy key") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains("\n") == false)
        #expect(refused?.message.contains("ssh://\(sshd.user)@127.0.0.1:\(sshd.port)") == true, "an ssh user is no secret")
        let body = strangerKey.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        #expect(refused?.message.contains(body) == false)

        let unpinned = #expect(throws: RikerError.self) {
            try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .sshKeyFile(authorized)))
        }
        #expect(unpinned?.code == .permissionDenied)
        #expect(unpinned?.message.contains("no ssh host key is pinned") == true, "\(unpinned?.message ?? "")")
        #expect(unpinned?.message.contains("pin '127.0.0.1 \(sshd.hostKey)'") == true, "\(unpinned?.message ?? "")")

        let otherHostKey = try String(contentsOf: URL(fileURLWithPath: stranger.path + ".pub"), encoding: .utf8)
        let wrongPin = #expect(throws: RikerError.self) {
            try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .sshKeyFile(authorized),
                                                                            knownHosts: ["127.0.0.1 " + otherHostKey, "example.com " + sshd.hostKey]))
        }
        #expect(wrongPin?.message.contains("not among the pinned ones") == true, "\(wrongPin?.message ?? "")")
        #expect(throws: RikerError.self) { try app.resolveCommit("refs/remotes/origin/main") }

        let ok = try app.fetchBranch("main", from: url, options: GitFetchOptions(credentials: .sshKeyFile(authorized), knownHosts: ["[127.0.0.1]:\(sshd.port) " + sshd.hostKey]))
        #expect(ok.commit.count == 40)
    }

    @Test func aFetchStopsWhenCancelledOrPastItsTimeLimitAndLeavesTheReferenceAlone() throws {
        defer { tmp.remove() }
        try commitMany(400)
        let served = tmp.path("served")
        _ = try publish("repo.git", in: served)
        let daemon = try GitDaemon(base: served)
        defer { daemon.stop() }
        let url = daemon.url("repo.git")

        let flag = Flag()
        let options = GitFetchOptions(isCancelled: { flag.isSet }, onProgress: { _ in flag.set() })
        #expect(throws: CancellationError.self) { try app.fetchBranch("main", from: url, options: options) }
        #expect(throws: RikerError.self) { try app.resolveCommit("refs/remotes/origin/main") }

        let late = #expect(throws: RikerError.self) { try app.fetchBranch("main", from: url, options: GitFetchOptions(timeout: 0)) }
        #expect(late?.code == .timeout)
        #expect(late?.message.contains("took longer than 0 s") == true)
        #expect(throws: RikerError.self) { try app.resolveCommit("refs/remotes/origin/main") }
    }

    @Test func theAsyncFetchStopsWhenItsTaskIsCancelled() async throws {
        defer { tmp.remove() }
        let head = try commitMany(400)
        let served = tmp.path("served")
        _ = try publish("repo.git", in: served)
        let daemon = try GitDaemon(base: served)
        defer { daemon.stop() }
        let started = Flag()
        let cancelled = Flag()
        // The fetch holds at its first progress report until the task has been cancelled.
        let hold: @Sendable (GitTransferProgress) -> Void = { _ in
            started.set()
            while !cancelled.isSet { usleep(1000) }
        }
        let task = Task {
            try await GitRepository.fetchBranch(repository: tmp.path("app.git"), branch: "main", from: daemon.url("repo.git"),
                                                options: GitFetchOptions(onProgress: hold))
        }
        while !started.isSet { try await Task.sleep(nanoseconds: 1_000_000) }
        task.cancel()
        cancelled.set()
        await #expect(throws: CancellationError.self) { try await task.value }
        let done = try await GitRepository.fetchBranch(repository: tmp.path("app.git"), branch: "main", from: daemon.url("repo.git"))
        #expect(done.commit == head)
    }

    @Test func anSCPLikeURLIsFetchedOverSSH() throws {
        defer { tmp.remove() }
        // `user@host:path` cannot carry a port, so this reaches port 22 of the loopback: whatever
        // answers there (nothing, or an sshd whose key is not pinned), it is an ssh attempt.
        let key = try generateKey("scp")
        let e = #expect(throws: RikerError.self) {
            try app.fetchBranch("main", from: "git@127.0.0.1:acme/shop.git", options: GitFetchOptions(credentials: .sshKeyFile(key)))
        }
        let m = e?.message ?? ""
        #expect(m.contains("failed to connect") || m.contains("no ssh host key is pinned"), "\(m)")
    }

    func generateKey(_ name: String) throws -> URL {
        let key = tmp.path("\(name)_ed25519")
        let r = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.path])
        guard r.succeeded else { throw RikerError(.process, "ssh-keygen: \(r.output)") }
        return key
    }
}

/// A flag set on one thread and read on another.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
