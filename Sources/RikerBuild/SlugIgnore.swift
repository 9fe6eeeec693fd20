import Foundation
import RikerCore

/// `.slugignore`: gitignore-like patterns, one per line, for files to leave out of the slug.
///
/// Supported: `*` (any run of characters but `/`), `**` (any run, `/` included), `?`, `[abc]`
/// and `[a-z]` classes, a trailing `/` (directories only), and a leading `/` or a `/` inside
/// the pattern (anchored at the app root; otherwise the pattern matches a name at any depth).
/// Blank lines and `#` comments are skipped. Negation (`!`) is not supported, as on Heroku.
public struct SlugIgnore: Sendable {
    struct Pattern: Sendable {
        var glob: [Character]
        var anchored: Bool
        var directoryOnly: Bool
    }

    var patterns: [Pattern]

    public init(parsing text: String) {
        patterns = text.split(whereSeparator: \.isNewline).compactMap { raw in
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { return nil }
            var directoryOnly = false
            while line.hasSuffix("/") { line.removeLast(); directoryOnly = true }
            var anchored = line.dropLast().contains("/")
            while line.hasPrefix("/") { line.removeFirst(); anchored = true }
            if line.hasPrefix("**/") { line.removeFirst(3); anchored = false }
            if line.isEmpty { return nil }
            return Pattern(glob: Array(line), anchored: anchored, directoryOnly: directoryOnly)
        }
    }

    /// True when `path` (relative to the app root, `/`-separated) is ignored.
    public func matches(_ path: String, isDirectory: Bool) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return patterns.contains { p in
            if p.directoryOnly && !isDirectory { return false }
            return Self.glob(p.glob[...], Array(p.anchored ? path : name)[...])
        }
    }

    /// Removes every ignored file and directory under `root` (symlinks are removed, never
    /// followed). Returns how many entries were removed.
    @discardableResult
    public func apply(to root: URL) throws -> Int {
        guard !patterns.isEmpty else { return 0 }
        var removed = 0
        func walk(_ dir: URL, _ prefix: String) throws {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() {
                let url = dir.appendingPathComponent(name)
                let rel = prefix.isEmpty ? name : "\(prefix)/\(name)"
                var st = stat()
                guard lstat(url.path, &st) == 0 else { continue }
                let isDirectory = st.st_mode & S_IFMT == S_IFDIR
                if matches(rel, isDirectory: isDirectory) {
                    do { try FileManager.default.removeItem(at: url) } catch {
                        throw RikerError(.buildFailed, "cannot remove \(rel) listed in .slugignore: \(error.localizedDescription)")
                    }
                    removed += 1
                } else if isDirectory {
                    try walk(url, rel)
                }
            }
        }
        try walk(root, "")
        return removed
    }

    static func glob(_ p: ArraySlice<Character>, _ s: ArraySlice<Character>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        let rest = p.dropFirst()
        switch c {
        case "*":
            if rest.first == "*" {
                var after = rest.dropFirst()
                if after.first == "/" {  // `a/**/b` also matches `a/b`
                    after = after.dropFirst()
                    if glob(after, s) { return true }
                }
                var t = s
                while true {
                    if glob(after, t) { return true }
                    guard !t.isEmpty else { return false }
                    t = t.dropFirst()
                }
            }
            var t = s
            while true {
                if glob(rest, t) { return true }
                guard let first = t.first, first != "/" else { return false }
                t = t.dropFirst()
            }
        case "?":
            guard let first = s.first, first != "/" else { return false }
            return glob(rest, s.dropFirst())
        case "[":
            guard let first = s.first, first != "/", let close = rest.dropFirst().firstIndex(of: "]") else {
                return s.first == "[" && glob(rest, s.dropFirst())
            }
            var set = rest[rest.startIndex..<close]
            let negate = set.first == "!" || set.first == "^"
            if negate { set = set.dropFirst() }
            var hit = false, i = set.startIndex
            while i < set.endIndex {
                let lo = set[i]
                if set.index(after: i) < set.endIndex, set[set.index(after: i)] == "-", set.index(i, offsetBy: 2) < set.endIndex {
                    let hi = set[set.index(i, offsetBy: 2)]
                    if lo <= first && first <= hi { hit = true }
                    i = set.index(i, offsetBy: 3)
                } else {
                    if lo == first { hit = true }
                    i = set.index(after: i)
                }
            }
            return hit != negate && glob(p[p.index(after: close)...], s.dropFirst())
        case "\\":
            guard let escaped = rest.first, s.first == escaped else { return false }
            return glob(rest.dropFirst(), s.dropFirst())
        default:
            return s.first == c && glob(rest, s.dropFirst())
        }
    }
}
