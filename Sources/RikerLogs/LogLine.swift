import Foundation

/// One line of an app's log stream, as `riker logs` shows it:
///
///     2026-11-25T04:00:00.123Z app[web.1@i-0abc]: Listening on port 5000
///     2026-11-25T04:00:01.456Z riker[agent@i-0abc]: web.1 exited (exit code 1); restarting in 1s
///
/// `source` is `app` for what the app's processes wrote and `riker` for Riker's own events
/// about the app (Heroku's `heroku[router]`); `process` is the process (`web.1`) or the part
/// of Riker that speaks (`agent`); `instance` is where it happened (omitted when unknown).
public struct LogLine: Hashable, Sendable, Codable, CustomStringConvertible {
    public var time: LogTimestamp
    public var source: String
    public var process: String
    public var instance: String?
    /// The text without its newline. Never contains `\n`.
    public var text: String

    public static let appSource = "app"
    public static let rikerSource = "riker"

    public init(time: LogTimestamp, source: String, process: String, instance: String?, text: String) {
        self.time = time; self.source = source; self.process = process; self.instance = instance; self.text = text
    }

    /// A line an app process wrote.
    public static func app(_ text: String, process: String, instance: String?, time: LogTimestamp = .now()) -> LogLine {
        LogLine(time: time, source: appSource, process: process, instance: instance, text: text)
    }

    /// One of Riker's own events (`riker[agent@i-0abc]: …`).
    public static func riker(_ text: String, component: String = "agent", instance: String?, time: LogTimestamp = .now()) -> LogLine {
        LogLine(time: time, source: rikerSource, process: component, instance: instance, text: text)
    }

    /// The process type: `web` for `web.1`, the whole name when it has no `.N` suffix.
    public var processType: String {
        guard let dot = process.lastIndex(of: "."), process[process.index(after: dot)...].allSatisfy(\.isNumber),
              dot != process.startIndex, process.index(after: dot) != process.endIndex else { return process }
        return String(process[..<dot])
    }

    /// `app[web.1@i-0abc]`
    public var tag: String { "\(source)[\(process)\(instance.map { "@" + $0 } ?? "")]" }

    /// The line as written to local buffers and store chunks, without the newline.
    public var description: String { "\(time) \(tag): \(text)" }

    /// Appends `description` and a newline to `bytes` (the fast path for files and chunks).
    public func write(to bytes: inout [UInt8]) {
        time.write(to: &bytes)
        bytes.append(0x20)
        bytes.append(contentsOf: source.utf8)
        bytes.append(UInt8(ascii: "["))
        bytes.append(contentsOf: process.utf8)
        if let instance {
            bytes.append(UInt8(ascii: "@"))
            bytes.append(contentsOf: instance.utf8)
        }
        bytes.append(contentsOf: "]: ".utf8)
        bytes.append(contentsOf: text.utf8)
        bytes.append(0x0a)
    }

    /// Parses a line written by `description`. Nil if it does not have that shape.
    public init?<S: StringProtocol>(parsing line: S) {
        let s = Substring(line)
        guard let space = s.firstIndex(of: " "), let time = LogTimestamp(parsing: s[..<space]) else { return nil }
        let rest = s[s.index(after: space)...]
        // `SOURCE[NAME@INSTANCE]: TEXT`; a line whose text was empty may have lost its last space.
        let close: Range<Substring.Index>
        if let r = rest.range(of: "]: ") { close = r } else if rest.hasSuffix("]:") { close = rest.index(rest.endIndex, offsetBy: -2)..<rest.endIndex } else { return nil }
        guard let open = rest.firstIndex(of: "["), open < close.lowerBound else { return nil }
        let source = rest[..<open]
        let inner = rest[rest.index(after: open)..<close.lowerBound]
        guard !source.isEmpty, !source.contains(" "), !inner.isEmpty, !inner.contains(" ") else { return nil }
        let at = inner.firstIndex(of: "@")  // process names have no "@"; instance ids might
        self.time = time
        self.source = String(source)
        self.process = String(at.map { inner[..<$0] } ?? inner)
        self.instance = at.map { String(inner[inner.index(after: $0)...]) }
        self.text = String(rest[close.upperBound...])
    }

    /// The line for `--json`: one object, `{"instance":…,"process":…,"source":…,"text":…,"time":"…"}`.
    public var json: String {
        String(decoding: (try? Self.encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}

extension LogTimestamp: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let t = LogTimestamp(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(text.prefix(40))")
        }
        self = t
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
