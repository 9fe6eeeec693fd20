import Foundation
import RikerCore
import RikerTestSupport

/// A browser-like client of the live page, with curl: a cookie jar, forms posted as
/// `application/x-www-form-urlencoded` from a file (tokens never go on curl's command line).
struct PageClient {
    let base: String
    let dir: URL
    let jar: URL

    init(server: RikerServer, name: String = UUID().uuidString) {
        base = server.httpBase
        dir = server.dir.path("page-client-\(name)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        jar = dir.appendingPathComponent("cookies")
    }

    /// `method path`, with the jar's cookies (and keeping what the server sets), the form
    /// `fields` as the body, and extra header lines.
    func call(_ method: String, _ path: String, form fields: [(String, String)]? = nil, headers: [String] = [],
              cookies: Bool = true) throws -> APIClient.Answer {
        let id = UUID().uuidString
        let bodyFile = dir.appendingPathComponent("b-\(id)"), dumpFile = dir.appendingPathComponent("d-\(id)")
        let headerFile = dir.appendingPathComponent("h-\(id)")
        defer { for f in [bodyFile, dumpFile, headerFile] { try? FileManager.default.removeItem(at: f) } }
        try AtomicFile.write(Data((headers.map { $0 + "\n" }.joined()).utf8), to: headerFile)
        var args = ["-s", "-m", "30", "-X", method, "-D", dumpFile.path, "-w", "\n%{http_code}", "-H", "@\(headerFile.path)"]
        if cookies { args += ["-b", jar.path, "-c", jar.path] }
        if let fields {
            let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            try AtomicFile.write(Data(body.utf8), to: bodyFile)
            args += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "@\(bodyFile.path)"]
        }
        let r = try sh("curl", args + [base + path])
        guard r.succeeded else { throw RikerError(.http, "curl \(method) \(path): \(r.output)") }
        var lines = r.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.removeLast()) ?? 0
        return APIClient.Answer(status: status, text: lines.joined(separator: "\n"), headers: (try? String(contentsOf: dumpFile, encoding: .utf8)) ?? "")
    }

    func get(_ path: String, headers: [String] = []) throws -> APIClient.Answer { try call("GET", path, headers: headers) }

    /// Logs in through the form; the answer (303 with the cookie on success).
    @discardableResult
    func login(_ token: String) throws -> APIClient.Answer {
        try call("POST", "/login", form: [("token", token), ("next", "")])
    }

    /// The CSRF token in a page's forms.
    static func csrf(in html: String) -> String? {
        guard let r = html.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression) else { return nil }
        return html[r].split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }
}

extension APIClient.Answer {
    /// The value of response header `name` (case-insensitive), from the last response in the dump.
    func header(_ name: String) -> String? {
        headers.split(separator: "\r\n").last { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }
}
