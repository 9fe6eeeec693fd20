import Foundation

/// A real HTTP server on 127.0.0.1 that speaks the IMDSv2 subset Riker uses:
/// `PUT /latest/api/token` (needs `X-aws-ec2-metadata-token-ttl-seconds`), then with the token
/// (401 without it) `GET /latest/meta-data/{instance-id,placement/region}` and the instance
/// role `riker-role` under `iam/security-credentials/`, whose credentials (`ASIAROLE1`, `2`, …)
/// expire two minutes after each read.
/// Every request is logged to `requests` as "METHOD PATH ttl=… token=ok|missing|bad".
public final class FakeIMDS {
    let server: ScriptServer
    let log: TempDir
    public let instanceID: String

    static let script = """
    import http.server, sys, json, datetime
    port, instance, region, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    TOKEN = "tok-" + instance
    reads = [0]
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
            creds = "/latest/meta-data/iam/security-credentials/"
            if self.path == creds + "riker-role":
                reads[0] += 1
                exp = (datetime.datetime.utcnow() + datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
                return self.answer(200, json.dumps({"AccessKeyId": "ASIAROLE%d" % reads[0], "SecretAccessKey": "s", "Token": "role-token", "Expiration": exp}))
            answers = {"/latest/meta-data/instance-id": instance, "/latest/meta-data/placement/region": region, creds: "riker-role\\n"}
            if self.path not in answers: return self.answer(404, "not found")
            self.answer(200, answers[self.path])
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """

    public init(instanceID: String = "i-0123456789abcdef0", region: String = "eu-west-3") throws {
        self.instanceID = instanceID
        log = try TempDir("fake-imds")
        server = try ScriptServer(python: Self.script, arguments: [instanceID, region, log.path("requests").path])
    }

    /// What to set `AWS_EC2_METADATA_SERVICE_ENDPOINT` to.
    public var endpoint: String { server.baseURL }

    /// The requests seen so far, one line each.
    public var requests: [String] {
        ((try? String(contentsOf: log.path("requests"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    deinit {
        server.stop()
        log.remove()
    }
}

/// A loopback URL where nothing listens: an IMDS that is not there (never 169.254.169.254 in tests).
public func deadIMDSEndpoint() -> String { "http://127.0.0.1:\(freePort())" }
