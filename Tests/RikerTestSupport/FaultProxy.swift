import Foundation
import RikerCore

/// A real HTTP proxy on 127.0.0.1 in front of a test server (moto) that spoils the first
/// `count` requests it receives, then forwards everything untouched (the Host header
/// included, so SigV4 signatures made for the proxy's address still verify upstream).
public final class FaultProxy: @unchecked Sendable {
    /// What happens to a spoiled request.
    public enum Fault {
        /// Answer with this status and an AWS-style XML error document carrying `code`.
        case status(Int, code: String)
        /// Close the connection without answering (a connection error for the client).
        case drop
    }

    public let server: ScriptServer
    private let statsFile: URL
    private let dir: TempDir

    /// `http://127.0.0.1:PORT` of the proxy.
    public var baseURL: String { server.baseURL }

    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) that spoils `count` requests with `fault`.
    public init(upstream: String, fault: Fault, count: Int) throws {
        guard let u = URL(string: upstream), let host = u.host, let port = u.port else {
            throw RikerError(.invalidInput, "FaultProxy: upstream '\(upstream)' must be http://HOST:PORT")
        }
        dir = try TempDir("fault-proxy")
        statsFile = dir.path("stats.json")
        let (status, code): (Int, String)
        switch fault {
        case .status(let s, let c): (status, code) = (s, c)
        case .drop: (status, code) = (0, "")
        }
        server = try ScriptServer(python: Self.source, arguments: [host, String(port), String(status), code, String(count), statsFile.path])
    }

    /// Requests received so far, and how many of them were spoiled.
    public func stats() -> (requests: Int, spoiled: Int) {
        guard let data = try? Data(contentsOf: statsFile),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Int] else { return (0, 0) }
        return (obj["requests"] ?? 0, obj["spoiled"] ?? 0)
    }

    public func stop() { server.stop() }

    static let source = #"""
import http.client, json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, host, up_port, status, code, count, stats_path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), sys.argv[7]
lock = threading.Lock()
state = {"requests": 0, "spoiled": 0}

def save():
    tmp = stats_path + ".tmp"
    with open(tmp, "w") as f: json.dump(state, f)
    os.replace(tmp, stats_path)

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            state["requests"] += 1
            spoil = state["spoiled"] < count
            if spoil: state["spoiled"] += 1
            save()
        if spoil and status == 0:
            self.close_connection = True
            return
        if spoil:
            doc = ("<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code><Message>injected by FaultProxy</Message>"
                   "</Error><RequestId>fault</RequestId></ErrorResponse>" % code).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(doc)))
            self.end_headers()
            self.wfile.write(doc)
            return
        conn = http.client.HTTPConnection(host, up_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive", "proxy-connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

save()
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""#
}
