/// A Procfile: `type: command` lines, in file order.
public struct Procfile: Equatable, Sendable {
    public var entries: [(type: String, command: String)]

    public static func == (a: Procfile, b: Procfile) -> Bool {
        a.entries.map { $0.type } == b.entries.map { $0.type } && a.entries.map { $0.command } == b.entries.map { $0.command }
    }

    public init(entries: [(type: String, command: String)] = []) { self.entries = entries }

    /// Parses Procfile text. Blank lines and `#` comments are skipped; a line without
    /// `name:` or with an invalid process type name throws, naming the line.
    public init(parsing text: String) throws {
        entries = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw RikerError(.invalidInput, "Procfile line \(i + 1) has no 'type:' prefix: \(line.prefix(60))")
            }
            let type = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let command = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            guard Self.isValidType(type), !command.isEmpty else {
                throw RikerError(.invalidInput, "Procfile line \(i + 1): process type must be letters, digits, '-' or '_' and have a command")
            }
            if let idx = entries.firstIndex(where: { $0.type == type }) { entries[idx].command = command }
            else { entries.append((type, command)) }
        }
    }

    public var dictionary: [String: String] {
        Dictionary(entries.map { ($0.type, $0.command) }, uniquingKeysWith: { _, b in b })
    }

    public static func isValidType(_ t: String) -> Bool {
        !t.isEmpty && t.count <= 63 && t.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" }
    }
}

import Foundation
