/// App and environment names, checked at every entry point before any file is touched.
public enum AppName {
    /// `^[a-z][a-z0-9-]{0,62}$` (DESIGN.md §3).
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, first >= 0x61, first <= 0x7a else { return false }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }

    /// Returns `name` if valid, else throws one line saying what a valid name looks like.
    @discardableResult
    public static func validate(_ name: String, kind: String = "app") throws -> String {
        guard isValid(name) else {
            let shown = name.count > 40 ? String(name.prefix(40)) + "…" : name
            throw RikerError(.invalidInput,
                "invalid \(kind) name '\(shown.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "?" }.joined())': use 1-63 characters a-z, 0-9 and '-', starting with a letter")
        }
        return name
    }
}

/// Key names follow the same rule as app names, so they are safe in authorized_keys and file names.
public enum KeyName {
    public static func validate(_ name: String) throws -> String { try AppName.validate(name, kind: "key") }
}
