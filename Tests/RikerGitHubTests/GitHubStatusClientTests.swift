import Foundation
import RikerCore
import RikerGitHub
import RikerTestSupport
import Testing

/// The status client against a real local HTTP server that records what it got.
@Suite struct GitHubStatusClientTests {
    let server: ScriptServer
    let dir: TempDir
    let repository = GitHubRepository(owner: "acme", name: "shop")
    let commit = "0123456789abcdef0123456789abcdef01234567"
    let token = "ghp_\(UUID().uuidString.prefix(16))"

    init() throws {
        dir = try TempDir("github-status")
        server = try ScriptServer(python: Self.source, arguments: [dir.path("requests.jsonl").path])
    }

    struct Recorded: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [String: String]
    }

    func recorded() throws -> [Recorded] {
        let text = (try? String(contentsOf: dir.path("requests.jsonl"), encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Recorded.self, from: Data($0.utf8)) }
    }

    /// An API base whose answers are `status` (the server reads it from the path).
    func api(_ status: Int) -> String { "\(server.baseURL)/answer/\(status)/api/v3/" }

    @Test func postsTheStatusWithTheTokenToTheRepositoryAndCommitPath() async throws {
        defer { server.stop(); dir.remove() }
        let client = GitHubStatusClient(token: token, apiBase: api(201))
        let result = await client.post(CommitStatus(state: .pending, context: "riker/production", description: "Building v12",
                                                    targetURL: "https://riker.example.com/builds/b-1"),
                                       repository: repository, commit: commit)
        #expect(throws: Never.self) { try result.get() }
        let r = try #require(try recorded().first)
        #expect(r.method == "POST")
        #expect(r.path == "/answer/201/api/v3/repos/acme/shop/statuses/\(commit)")
        #expect(r.headers["authorization"] == "Bearer \(token)")
        #expect(r.headers["accept"] == "application/vnd.github+json")
        #expect(r.headers["content-type"] == "application/json")
        #expect(r.headers["user-agent"] == "riker")
        #expect(r.body == ["state": "pending", "context": "riker/production", "description": "Building v12",
                           "target_url": "https://riker.example.com/builds/b-1"])
    }

    @Test func aLongDescriptionIsCutToGitHubsLimit() async throws {
        defer { server.stop(); dir.remove() }
        let client = GitHubStatusClient(token: token, apiBase: api(201))
        _ = await client.post(CommitStatus(state: .failure, context: "riker/staging", description: String(repeating: "x", count: 300)),
                              repository: repository, commit: commit)
        let r = try #require(try recorded().first)
        #expect(r.body["description"]?.count == 140)
        #expect(r.body["state"] == "failure")
        #expect(r.body["target_url"] == nil)
    }

    @Test func refusalsAreReturnedAsOneLineWithoutTheToken() async throws {
        defer { server.stop(); dir.remove() }
        let cases: [(Int, RikerError.Code, String)] = [
            (401, .permissionDenied, "refused the token"), (403, .permissionDenied, "refused the token"),
            (404, .notFound, "does not know"), (422, .invalidInput, "HTTP 422"), (500, .http, "HTTP 500"),
        ]
        for (status, code, words) in cases {
            let result = await GitHubStatusClient(token: token, apiBase: api(status))
                .post(CommitStatus(state: .success, context: "riker/production"), repository: repository, commit: commit)
            guard case .failure(let e) = result else { Issue.record("HTTP \(status) was taken as success"); continue }
            #expect(e.code == code, "\(status): \(e)")
            #expect(e.message.contains(words), "\(status): \(e)")
            #expect(e.message.contains("acme/shop"))
            #expect(!e.message.contains(token))
            #expect(!e.message.contains("\n"))
        }
    }

    @Test func anUnreachableOrSilentAPIFailsWithinTheTimeLimitInsteadOfThrowingOrHanging() async throws {
        defer { server.stop(); dir.remove() }
        let closed = GitHubStatusClient(token: token, apiBase: "http://127.0.0.1:\(freePort())", timeout: 2)
        let refused = await closed.post(CommitStatus(state: .pending, context: "riker/production"), repository: repository, commit: commit)
        guard case .failure(let e1) = refused else { Issue.record("a closed port was taken as success"); return }
        #expect(e1.code == .http)
        #expect(e1.message.contains("cannot reach"))

        // Accepts the connection, then says nothing for a minute.
        let silent = GitHubStatusClient(token: token, apiBase: "\(server.baseURL)/silent", timeout: 1)
        let timedOut = await silent.post(CommitStatus(state: .pending, context: "riker/production"), repository: repository, commit: commit)
        guard case .failure(let e2) = timedOut else { Issue.record("a silent server was taken as success"); return }
        #expect(e2.code == .http)
        #expect(e2.message.lowercased().contains("timed out") || e2.message.lowercased().contains("timeout"), "\(e2)")
    }

    @Test func aMalformedCommitIdIsRefusedWithoutARequest() async throws {
        defer { server.stop(); dir.remove() }
        let result = await GitHubStatusClient(token: token, apiBase: api(201))
            .post(CommitStatus(state: .pending, context: "riker/production"), repository: repository, commit: "main; rm -rf")
        guard case .failure(let e) = result else { Issue.record("accepted"); return }
        #expect(e.code == .invalidInput)
        #expect(try recorded().isEmpty)
    }

    static let source = #"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
log_path = sys.argv[2]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        parts = self.path.strip("/").split("/")
        if parts[0] == "silent":
            time.sleep(60)
            return
        with open(log_path, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": json.loads(body or b"{}")}) + "\n")
        status = int(parts[1])
        answer = json.dumps({"message": "answer %d" % status} if status >= 300 else {"id": 1, "state": "ok"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""#
}
