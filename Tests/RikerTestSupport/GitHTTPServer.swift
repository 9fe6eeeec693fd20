import Foundation
import RikerCore

/// A git smart-HTTP server for tests: Python's http.server on a free 127.0.0.1 port running
/// the real `git http-backend` as CGI for the repositories under `base`
/// (`http://127.0.0.1:PORT/NAME.git` is `base/NAME.git`). With a `token`, every request must
/// carry basic auth `x-access-token:TOKEN` (GitHub's form) or gets a 401 asking for it.
/// With `tls` (PEM certificate chain and key files) it speaks https.
public final class GitHTTPServer: @unchecked Sendable {
    public let base: URL
    private let server: ScriptServer
    private let logFile: URL
    private let scheme: String

    public init(base: URL, token: String?, tls: (certificate: URL, key: URL)? = nil) throws {
        self.base = base
        let dir = try TempDir("git-http")
        logFile = dir.path("requests.log")
        try Data().write(to: logFile)
        // The token goes through the environment, not argv (tests follow the rule code must).
        scheme = tls == nil ? "http" : "https"
        server = try ScriptServer(python: Self.source, arguments: [base.path, logFile.path] + (tls.map { [$0.certificate.path, $0.key.path] } ?? []),
                                  environment: ["GIT_TEST_TOKEN": token ?? ""])
    }

    /// `http(s)://127.0.0.1:PORT/NAME`
    public func url(_ name: String) -> String { "\(scheme)://127.0.0.1:\(server.port)/\(name)" }

    /// One line per request: `STATUS METHOD PATH` (401 for a missing or wrong token).
    public func requests() -> [String] {
        ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public func stop() { server.stop() }

    static let source = #"""
import base64, os, ssl, subprocess, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, root, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
token = os.environ.get("GIT_TEST_TOKEN", "")
expected = "Basic " + base64.b64encode(("x-access-token:" + token).encode()).decode()

def note(line):
    with open(log_path, "a") as f: f.write(line + "\n")

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, headers, payload):
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def handle_any(self):
        body = self.read_body()
        path, _, query = self.path.partition("?")
        if token and self.headers.get("Authorization") != expected:
            note("401 %s %s" % (self.command, path))
            return self.reply(401, [("WWW-Authenticate", 'Basic realm="git"'), ("Content-Type", "text/plain")], b"authentication required\n")
        env = {"GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1", "REQUEST_METHOD": self.command,
               "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": "x-access-token", "REMOTE_ADDR": "127.0.0.1",
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "PATH": os.environ["PATH"],
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": root}
        if self.headers.get("Content-Encoding"): env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
        head, _, payload = out.partition(sep)
        status, headers = 200, []
        for line in head.decode().splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status": status = int(v.strip().split()[0])
            elif k: headers.append((k, v.strip()))
        note("%d %s %s" % (status, self.command, path))
        self.reply(status, headers, payload)

    do_GET = do_POST = handle_any

server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
if len(sys.argv) > 5:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""#
}
