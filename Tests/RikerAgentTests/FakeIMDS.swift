import Foundation
import RikerTestSupport

/// A real HTTP server on 127.0.0.1 that speaks the IMDSv2 subset the agent and user data use:
/// `PUT /latest/api/token` (needs `X-aws-ec2-metadata-token-ttl-seconds`), then
/// `GET /latest/meta-data/{instance-id,placement/region}` (needs the token: 401 without it).
/// Every request is logged to `requests` as "METHOD PATH ttl=… token=ok|missing|bad".
final class FakeIMDS {
    let server: ScriptServer
    let log: TempDir
    let instanceID: String

    static let script = """
    import http.server, sys
    port, instance, region, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    TOKEN = "tok-" + instance
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def record(self):
            token = self.headers.get("X-aws-ec2-metadata-token")
            seen = "missing" if token is None else ("ok" if token == TOKEN else "bad")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "-")
            with open(log, "a") as f:
                f.write("%s %s ttl=%s token=%s\\n" % (self.command, self.path, ttl, seen))
            return seen, ttl
        def answer(self, code, body):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        def do_PUT(self):
            seen, ttl = self.record()
            length = int(self.headers.get("Content-Length", "0"))
            if length: self.rfile.read(length)
            if self.path != "/latest/api/token": return self.answer(404, "not found")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600: return self.answer(400, "missing or invalid ttl")
            self.answer(200, TOKEN)
        def do_GET(self):
            seen, _ = self.record()
            if seen != "ok": return self.answer(401, "unauthorized")
            answers = {"/latest/meta-data/instance-id": instance, "/latest/meta-data/placement/region": region}
            if self.path not in answers: return self.answer(404, "not found")
            self.answer(200, answers[self.path])
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """

    init(instanceID: String = "i-0123456789abcdef0", region: String = "eu-west-3") throws {
        self.instanceID = instanceID
        log = try TempDir("fake-imds")
        server = try ScriptServer(python: Self.script, arguments: [instanceID, region, log.path("requests").path])
    }

    /// What to set `AWS_EC2_METADATA_SERVICE_ENDPOINT` to.
    var endpoint: String { server.baseURL }

    /// The requests seen so far, one line each.
    var requests: [String] {
        ((try? String(contentsOf: log.path("requests"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    deinit {
        server.stop()
        log.remove()
    }
}

/// A loopback URL where nothing listens: an IMDS that is not there (never 169.254.169.254 in tests).
func deadIMDSEndpoint() -> String { "http://127.0.0.1:\(freePort())" }
