import Foundation
import RikerCore

/// A real HTTP proxy on 127.0.0.1 between a client and a test server (moto) that injects
/// faults into chosen requests: a 503 SlowDown answer, a dropped connection, or an answer
/// lost after the upstream server acted on the request. Everything else is forwarded as is
/// (Host header included, so signatures made for the proxy's address still verify).
/// Every request is logged as `METHOD PATH -> outcome`.
public final class FaultProxy: @unchecked Sendable {
    /// What to do to a matching request.
    public enum Action: String {
        /// Answer 503 with an S3 `SlowDown` error document, without forwarding.
        case unavailable = "503"
        /// Close the connection without forwarding or answering.
        case drop
        /// Forward, then close the connection instead of passing the answer back.
        case lost
    }

    public let server: ScriptServer
    private let dir: TempDir
    private let lock = NSLock()
    private var rules: [[String: Any]] = []

    /// `http://127.0.0.1:PORT` of the proxy.
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`), with no faults yet.
    public init(upstream: String) throws {
        dir = try TempDir("fault-proxy")
        try Data("[]".utf8).write(to: dir.path("rules.json"))
        server = try ScriptServer(python: Self.source, arguments: [upstream, dir.path("rules.json").path, dir.path("log").path])
    }

    /// Applies `action` to the next `times` requests whose `METHOD PATH?QUERY` line contains
    /// `match` (and whose method is `method`, any method when nil).
    public func inject(_ action: Action, method: String?, match: String = "", times: Int = 1) throws {
        lock.lock(); defer { lock.unlock() }
        rules.append(["id": UUID().uuidString, "action": action.rawValue, "method": method ?? "", "match": match, "times": times])
        try writeRules()
    }

    /// Removes every fault not yet used up.
    public func clear() throws {
        lock.lock(); defer { lock.unlock() }
        rules = []
        try writeRules()
    }

    /// One line per request so far: `METHOD PATH -> 503|drop|forwarded STATUS[, answer lost]`.
    public func log() -> [String] {
        let text = (try? String(contentsOf: dir.path("log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    public func stop() { server.stop() }

    private func writeRules() throws {
        let tmp = dir.path("rules.json.tmp")
        do {
            try JSONSerialization.data(withJSONObject: rules).write(to: tmp)
        } catch {
            throw RikerError(.io, "cannot write \(tmp.path): \(error)")
        }
        guard rename(tmp.path, dir.path("rules.json").path) == 0 else { throw RikerError.posix("cannot write", path: dir.path("rules.json").path) }
    }

    static let source = #"""
import http.client, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

upstream = urlparse(sys.argv[2])
rules_path, log_path = sys.argv[3], sys.argv[4]
used, lock = {}, threading.Lock()

def note(line):
    with lock:
        with open(log_path, "a") as f: f.write(line + "\n")

def pick(line, method):
    # Rules are re-read each time; how often each has fired is kept here, by id.
    with lock:
        with open(rules_path) as f: rules = json.load(f)
        for r in rules:
            i = r["id"]
            if used.get(i, 0) < r["times"] and r["match"] in line and (not r["method"] or r["method"] == method):
                used[i] = used.get(i, 0) + 1
                return r["action"]
    return None

class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def send_plain(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        line = "%s %s" % (self.command, self.path)
        action = pick(line, self.command)
        if action == "drop":
            note(line + " -> drop")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if action == "503":
            note(line + " -> 503")
            return self.send_plain(503, b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>", "application/xml")
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in ("connection", "keep-alive", "proxy-connection"): conn.putheader(k, v)
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        data = resp.read()
        if action == "lost":
            note("%s -> forwarded %d, answer lost" % (line, resp.status))
            self.close_connection = True
            self.connection.shutdown(2)
            return
        note("%s -> forwarded %d" % (line, resp.status))
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"): self.send_header(k, v)
        if self.command != "HEAD" or resp.getheader("Content-Length") is None:
            self.send_header("Content-Length", str(len(data)))
        else:
            self.send_header("Content-Length", resp.getheader("Content-Length"))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Proxy).serve_forever()
"""#
}
