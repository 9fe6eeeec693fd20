import Foundation
import RikerRelease

/// Where shipped log chunks live in the store, beside the app env's other keys:
///
///     apps/APP/ENV/logs/INSTANCE/20261125T040000123Z-000042.log
///
/// The name is the time of the chunk's first line and the shipper's sequence number, so an
/// instance's chunks sort by time as their keys do, and their age is known without a read.
public struct LogChunkKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var app: String
    public var env: String
    public var instance: String
    public var firstLine: LogTimestamp
    public var sequence: Int

    public init(app: String, env: String, instance: String, firstLine: LogTimestamp, sequence: Int) {
        self.app = app; self.env = env; self.instance = instance; self.firstLine = firstLine; self.sequence = sequence
    }

    /// `apps/APP/ENV/logs/`: every instance's chunks.
    public static func prefix(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/logs/" }

    /// `apps/APP/ENV/logs/INSTANCE/`: one instance's chunks.
    public static func prefix(_ app: String, _ env: String, instance: String) -> String { prefix(app, env) + instance + "/" }

    /// The store key.
    public var description: String {
        Self.prefix(app, env, instance: instance) + firstLine.compact + "-" + String(format: "%06d", sequence) + ".log"
    }

    /// Parses a key under `prefix(app, env)`; nil for anything else (so stray objects are ignored).
    public init?(_ key: String, app: String, env: String) {
        let base = Self.prefix(app, env)
        guard key.hasPrefix(base) else { return nil }
        let parts = key.dropFirst(base.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].hasSuffix(".log") else { return nil }
        let name = parts[1].dropLast(4)
        let fields = name.split(separator: "-")
        guard fields.count == 2, let seq = Int(fields[1]), let time = Self.parseCompact(fields[0]) else { return nil }
        self.init(app: app, env: env, instance: String(parts[0]), firstLine: time, sequence: seq)
    }

    /// Orders one instance's chunks as they were written: by first line, then sequence.
    public static func < (a: LogChunkKey, b: LogChunkKey) -> Bool {
        (a.firstLine, a.sequence, a.instance) < (b.firstLine, b.sequence, b.instance)
    }

    /// `20261125T040000123Z` back to a timestamp.
    static func parseCompact<S: StringProtocol>(_ s: S) -> LogTimestamp? {
        let c = Array(s)
        guard c.count == 19, c[8] == "T", c[18] == "Z" else { return nil }
        // YYYYMMDDTHHMMSSmmmZ → YYYY-MM-DDTHH:MM:SS.mmmZ
        var d = ""
        for (i, ch) in c.enumerated() {
            switch i {
            case 4, 6: d.append("-")
            case 11, 13: d.append(":")
            case 15: d.append(".")
            default: break
            }
            d.append(ch)
        }
        return LogTimestamp(parsing: d)
    }
}
