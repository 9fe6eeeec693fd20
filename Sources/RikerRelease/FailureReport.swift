import Foundation

/// Why a release could not start, with the output that explains it: a one-line summary, then
/// lines (a process's last output, a health check's answer). Travels as text in
/// `InstanceStatus.error`: the summary on the first line, each further line after it.
public struct FailureReport: Sendable, Equatable {
    public var summary: String
    public var lines: [String]

    /// Longest line kept; longer ones are cut with `…`.
    public static let maxLineLength = 400
    /// Most lines kept (the last ones).
    public static let maxLines = 1000
    /// Most bytes of `text`; lines are dropped from the top of `lines` to fit.
    public static let maxBytes = 64 * 1024

    public init(summary: String, lines: [String] = []) {
        self.summary = Self.cut(summary.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "")
        var kept = lines.suffix(Self.maxLines).map { Self.cut($0) }
        var size = self.summary.utf8.count + kept.reduce(0) { $0 + $1.utf8.count + 1 }
        while size > Self.maxBytes, !kept.isEmpty { size -= kept.removeFirst().utf8.count + 1 }
        self.lines = kept
    }

    /// Reads the text form back: the first line is the summary.
    public init(parsing text: String) {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        self.init(summary: all.first ?? "", lines: Array(all.dropFirst()))
    }

    /// The summary and the lines, one per line (bounded by `maxBytes`).
    public var text: String { ([summary] + lines).joined(separator: "\n") }

    private static func cut(_ line: String) -> String {
        let clean = line.replacingOccurrences(of: "\r", with: "")
        return clean.count > maxLineLength ? String(clean.prefix(maxLineLength)) + "…" : clean
    }
}
