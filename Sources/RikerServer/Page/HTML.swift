import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Text for HTML: everything from the store goes through `escape` before it reaches a page.
enum HTML {
    /// `text` with `& < > " '` replaced by entities: safe in element content and in quoted
    /// attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A path segment for an `href` (names are already `a-z0-9-`; this keeps it so).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? ""
    }

    /// A fresh nonce for the one inline script of a page.
    static func nonce() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    static func date(_ date: Date?) -> String {
        guard let date else { return "" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    /// The headers every page answer carries: no framing, no sniffing, scripts only with the
    /// page's nonce, no caching of what a token may see.
    static func securityHeaders(nonce: String?) -> HTTPFields {
        var f = HTTPFields()
        let own = nonce.map { "'nonce-\($0)'" } ?? "'none'"
        f[.contentSecurityPolicy] = "default-src 'none'; script-src \(own); style-src \(own); img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        f[.init("X-Frame-Options")!] = "DENY"
        f[.init("X-Content-Type-Options")!] = "nosniff"
        f[.init("Referrer-Policy")!] = "same-origin"
        f[.cacheControl] = "no-store"
        return f
    }

    /// A whole page: `body` is HTML already escaped where it must be.
    static func page(title: String, body: String, nonce: String, script: String = "") -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Riker</title>
        <style nonce=\"\(nonce)\">\(style)</style></head>
        <body>\(body)\(script.isEmpty ? "" : "<script nonce=\"\(nonce)\">\(script)</script>")</body></html>

        """
    }

    /// An HTML answer with the security headers.
    static func response(_ status: HTTPResponse.Status = .ok, _ html: String, nonce: String?, headers: HTTPFields = [:]) -> Response {
        var fields = securityHeaders(nonce: nonce)
        for field in headers { fields.append(field) }
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `303 See Other` to a path of this server.
    static func redirect(_ path: String, headers: HTTPFields = [:]) -> Response {
        var fields = securityHeaders(nonce: nil)
        for field in headers { fields.append(field) }
        fields[.location] = path
        return Response(status: .seeOther, headers: fields)
    }

    static let style = """
    body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d232a;background:#f5f6f8}
    header{background:#1d232a;color:#fff;padding:.6em 1.2em;display:flex;gap:1em;align-items:center}
    header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
    main{padding:1em 1.2em;max-width:1100px}h1{font-size:1.3em;margin:.2em 0 .6em}h2{font-size:1.05em;margin:1.2em 0 .4em}
    table{border-collapse:collapse;background:#fff;width:100%}td,th{border-bottom:1px solid #e3e6ea;padding:.35em .6em;text-align:left;vertical-align:top}
    th{font-weight:600;background:#eef0f3}code{font:12px ui-monospace,monospace}.muted{color:#6b7480}
    .pill{display:inline-block;border-radius:9px;padding:0 .55em;font-size:12px;font-weight:600;background:#e3e6ea}
    .s-succeeded,.s-healthy{background:#c9f0d3;color:#145a26}.s-failed,.s-timed-out{background:#f8d0d0;color:#8a1c1c}
    .s-running,.s-installing{background:#d6e4ff;color:#1a3e8a}.s-draining{background:#ffe8c2;color:#7a4a00}
    .s-rolled_back,.s-rolled-back{background:#eadcff;color:#4b2a8a}.s-waiting,.s-untouched{background:#eceef1;color:#555}
    .batches{display:flex;flex-direction:column;gap:.4em;margin:.5em 0}.batch{display:flex;gap:.5em;align-items:center;flex-wrap:wrap}
    .batch>.label{width:7em;font-weight:600}.inst{border:1px solid #cfd4da;border-radius:6px;padding:.35em .6em;background:#fff;min-width:12em}
    .inst .id{font:12px ui-monospace,monospace;display:block}.inst .state{margin-top:.2em}
    .inst.st-healthy{border-color:#3aa35b}.inst.st-failed{border-color:#c33}.inst.st-installing{border-color:#3a6fd8}.inst.st-draining{border-color:#d89a2a}.inst.st-rolled-back{border-color:#7a4fd0}
    form.inline{display:inline}button{font:inherit;padding:.15em .7em;border:1px solid #8a939d;border-radius:5px;background:#fff;cursor:pointer}
    button.primary{background:#1d5fd1;color:#fff;border-color:#1d5fd1}.error{background:#f8d0d0;padding:.5em .8em;border-radius:5px}
    pre.log{background:#111;color:#ddd;padding:.8em;overflow:auto;max-height:70vh;font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap}
    .login{max-width:26em;margin:4em auto;background:#fff;padding:1.5em;border-radius:8px;box-shadow:0 1px 4px #0002}
    .login input{width:100%;box-sizing:border-box;padding:.4em;margin:.3em 0 .8em;font:inherit}
    """
}
