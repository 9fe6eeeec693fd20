import Foundation

/// Config vars in their canonical text form: one `KEY=VALUE` per line, sorted by key,
/// the value JSON-quoted so any byte sequence (newlines, `=`, quotes) round-trips.
public enum EnvFile {
    /// `^[A-Za-z_][A-Za-z0-9_]*$`: names a shell can export.
    public static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, key.utf8.count <= 255 else { return false }
        let head = CharacterSet.letters.union(CharacterSet(charactersIn: "_"))
        return first.isASCII && head.contains(first)
            && key.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || CharacterSet.alphanumerics.contains($0)) }
    }

    public static func encode(_ vars: [String: String]) -> String {
        vars.keys.sorted().map { key in
            let quoted = (try? String(data: JSONEncoder().encode(vars[key]!), encoding: .utf8)) ?? "\"\""
            return "\(key)=\(quoted)\n"
        }.joined()
    }

    /// Parses the canonical form (and, leniently, unquoted `KEY=value` lines).
    public static func decode(_ text: String) throws -> [String: String] {
        var vars: [String: String] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") && !line.isEmpty {
            guard let eq = line.firstIndex(of: "=") else { throw RikerError(.invalidInput, "config line \(i + 1) has no '='") }
            let key = String(line[..<eq]), raw = String(line[line.index(after: eq)...])
            guard isValidKey(key) else { throw RikerError(.invalidInput, "config line \(i + 1): invalid key") }
            if raw.hasPrefix("\"") {
                guard let v = try? JSONDecoder().decode(String.self, from: Data(raw.utf8)) else {
                    throw RikerError(.invalidInput, "config line \(i + 1): bad quoting for \(key)")
                }
                vars[key] = v
            } else { vars[key] = raw }
        }
        return vars
    }

    /// Parses `K=V` command-line arguments (as in `config:set`), refusing invalid keys.
    public static func parseAssignments(_ args: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for arg in args {
            guard let eq = arg.firstIndex(of: "="), eq != arg.startIndex else {
                throw RikerError(.invalidInput, "expected KEY=VALUE, got '\(arg.prefix(40))'")
            }
            let key = String(arg[..<eq])
            guard isValidKey(key) else { throw RikerError(.invalidInput, "invalid config key '\(key.prefix(40))': use letters, digits and '_', not starting with a digit") }
            out[key] = String(arg[arg.index(after: eq)...])
        }
        return out
    }
}
