import Foundation
import RikerCore
import RikerTestSupport

/// A real HTTP server on 127.0.0.1 that records every POST it gets (path, headers, raw body)
/// and answers by path: `/ok…` 200, `/fail…` 500, `/hang…` never (it holds the connection).
final class NotificationReceiver {
    struct Delivery {
        var path: String
        var headers: [String: String]
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let server: ScriptServer
    let dir: TempDir
    private let log: URL

    init() throws {
        dir = try TempDir("notify-receiver")
        log = dir.path("deliveries.jsonl")
        server = try ScriptServer(python: Self.script, arguments: [log.path])
    }

    func url(_ path: String) -> String { server.baseURL + path }

    /// Everything received so far, in arrival order.
    var deliveries: [Delivery] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let path = o["path"] as? String, let headers = o["headers"] as? [String: String],
                  let body = (o["body"] as? String).flatMap({ Data(base64Encoded: $0) }) else { return nil }
            return Delivery(path: path, headers: headers, body: body)
        }
    }

    func stop() {
        server.stop()
        dir.remove()
    }

    static let script = #"""
    import base64, json, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port, log = int(sys.argv[1]), sys.argv[2]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body": base64.b64encode(body).decode()}
            with lock, open(log, "a") as f:
                f.write(json.dumps(entry) + "\n")
            if self.path.startswith("/hang"):
                time.sleep(3600)
                return
            status = 500 if self.path.startswith("/fail") else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()
    """#
}
