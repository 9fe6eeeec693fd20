import Foundation
import RikerCore
import RikerTestSupport

/// Calls `riker serve`'s JSON API with curl. The token goes in a header file, never on
/// curl's command line.
struct APIClient {
    let base: String
    let dir: URL

    struct Answer: CustomStringConvertible {
        var status: Int
        var text: String
        var headers: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
        var error: String { json["error"] as? String ?? "" }
        var description: String { "\(status) \(text)" }
    }

    init(server: RikerServer) {
        base = server.httpBase
        dir = server.dir.path("api-client")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// `method path` with `Authorization: Bearer token` (or the raw `authorization` header
    /// value) and `body` as JSON.
    func call(_ method: String, _ path: String, token: String?, body: String? = nil, authorization: String? = nil) throws -> Answer {
        let id = UUID().uuidString
        let headerFile = dir.appendingPathComponent("h-\(id)"), bodyFile = dir.appendingPathComponent("b-\(id)")
        let dumpFile = dir.appendingPathComponent("d-\(id)")
        defer { for f in [headerFile, bodyFile, dumpFile] { try? FileManager.default.removeItem(at: f) } }
        var headers = ""
        if let token { headers += "Authorization: Bearer \(token)\n" }
        if let authorization { headers += "Authorization: \(authorization)\n" }
        try AtomicFile.write(Data(headers.utf8), to: headerFile)
        var args = ["-s", "-m", "30", "-X", method, "-D", dumpFile.path, "-w", "\n%{http_code}", "-H", "@\(headerFile.path)"]
        if let body {
            try AtomicFile.write(Data(body.utf8), to: bodyFile)
            args += ["-H", "Content-Type: application/json", "--data-binary", "@\(bodyFile.path)"]
        }
        let r = try sh("curl", args + [base + path])
        guard r.succeeded else { throw RikerError(.http, "curl \(method) \(path): \(r.output)") }
        var lines = r.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.removeLast()) ?? 0
        let dump = (try? String(contentsOf: dumpFile, encoding: .utf8)) ?? ""
        return Answer(status: status, text: lines.joined(separator: "\n"), headers: dump)
    }

    func get(_ path: String, token: String?) throws -> Answer { try call("GET", path, token: token) }
    func post(_ path: String, token: String?, _ body: String) throws -> Answer { try call("POST", path, token: token, body: body) }

    /// Polls an action (from a 202) until it is finished; its final record.
    func waitForAction(_ accepted: Answer, token: String, timeout: Double = 300) throws -> [String: Any] {
        guard let app = accepted.json["app"] as? String, let id = accepted.json["id"] as? String else {
            throw RikerError(.http, "not an accepted action: \(accepted)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let a = try get("/api/apps/\(app)/actions/\(id)", token: token)
            if let status = a.json["status"] as? String, status == "succeeded" || status == "failed" { return a.json }
            usleep(200_000)
        }
        throw RikerError(.timeout, "action \(id) did not finish")
    }
}

extension RikerServer {
    /// `riker tokens:add NAME ARGS…`: the token it printed once.
    func addToken(_ name: String, _ args: [String] = []) throws -> String {
        let r = try riker(["tokens:add", name] + args)
        guard r.succeeded, let token = r.output.split(separator: "\n").last.map(String.init), token.hasPrefix("riker_") else {
            throw RikerError(.process, "tokens:add \(name): \(r.output)")
        }
        return token
    }
}
