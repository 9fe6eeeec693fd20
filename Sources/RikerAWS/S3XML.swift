import Foundation

/// Just enough XML for S3's answers, which are flat, well-formed documents: the text of
/// named elements, and the blocks of repeated elements (`<Contents>…</Contents>`).
enum S3XML {
    /// The unescaped text of the first `<name>` element in `xml`.
    static func first(_ name: String, in xml: Substring) -> String? {
        guard let open = xml.range(of: "<\(name)>"),
              let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return unescape(xml[open.upperBound..<close.lowerBound])
    }

    static func first(_ name: String, in xml: String) -> String? { first(name, in: xml[...]) }

    /// The inner text of every `<name>` block, in order.
    static func blocks(_ name: String, in xml: String) -> [Substring] {
        var out: [Substring] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"),
              let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            out.append(rest[open.upperBound..<close.lowerBound])
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func unescape(_ s: Substring) -> String {
        guard s.contains("&") else { return String(s) }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].firstIndex(of: ";") {
                let entity = s[s.index(after: i)..<semi]
                var replacement: String?
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x"), let n = UInt32(entity.dropFirst(2), radix: 16), let u = UnicodeScalar(n) { replacement = String(u) }
                    else if entity.hasPrefix("#"), let n = UInt32(entity.dropFirst()), let u = UnicodeScalar(n) { replacement = String(u) }
                }
                if let r = replacement { out += r; i = s.index(after: semi); continue }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
