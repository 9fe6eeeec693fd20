import Foundation

/// A process, told apart from a later one that reuses its pid by its start time (field 22 of
/// /proc/PID/stat, in clock ticks since boot).
public struct ProcessIdentity: Sendable, Equatable, CustomStringConvertible {
    public var pid: pid_t
    public var startTime: UInt64

    public init(pid: pid_t, startTime: UInt64) { self.pid = pid; self.startTime = startTime }

    /// The process `pid` now, or nil if there is none.
    public static func of(_ pid: pid_t) -> ProcessIdentity? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state (3), ppid (4), … starttime is field 22, i.e. index 19 here.
        guard fields.count > 19, let start = UInt64(fields[19]) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// Whether this very process still runs (not a zombie).
    public var isAlive: Bool {
        guard let now = Self.of(pid), now.startTime == startTime else { return false }
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) }),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// `PID:STARTTIME`
    public var description: String { "\(pid):\(startTime)" }

    public init?(parsing text: String) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
        guard parts.count == 2, let pid = pid_t(parts[0]), let start = UInt64(parts[1]) else { return nil }
        self.init(pid: pid, startTime: start)
    }
}
