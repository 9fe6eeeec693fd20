import Foundation
import RikerTestSupport

/// A small real HTTP/1.1 server (Python's http.server) with a few endpoints the tests need:
/// `/echo` (any method: answers what it received as JSON), `/status/N`, `/bytes/N`, `/slow/SECONDS`.
enum TestHTTPServer {
    static func start() throws -> ScriptServer { try ScriptServer(python: source) }

    static let source = #"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def reply(self, status, body, headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items(): self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.strip("/").split("/")
        if parts[0] == "echo":
            info = {"method": self.command, "path": self.path, "length": len(body),
                    "checksum": sum((i + 1) * b for i, b in enumerate(body)) % (1 << 61),
                    "headers": {k.lower(): v for k, v in self.headers.items()}}
            self.reply(200, json.dumps(info).encode(), {"Content-Type": "application/json", "X-Echo": "yes"})
        elif parts[0] == "status":
            self.reply(int(parts[1]), ("status %s\n" % parts[1]).encode())
        elif parts[0] == "bytes":
            n = int(parts[1])
            self.reply(200, bytes(i % 251 for i in range(n)))
        elif parts[0] == "slow":
            time.sleep(float(parts[1]))
            self.reply(200, b"late\n")
        else:
            self.reply(404, b"no such endpoint\n")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = handle_any

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""#
}
