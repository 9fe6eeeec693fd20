import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The processes below one process, read from /proc.
///
/// An engine's RUN step runs in a process group and session of its own, so killing the
/// engine's group on a timeout leaves it running: its descendants are killed first, by pid.
enum ProcessTree {
    /// Every descendant of `pid` (children, grandchildren, …), at this moment.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = pid_t(name), let parent = parentPID(of: p) else { continue }
            children[parent, default: []].append(p)
        }
        var found: [pid_t] = [], queue = [pid]
        while let next = queue.popLast() {
            for c in children[next] ?? [] where !found.contains(c) {
                found.append(c)
                queue.append(c)
            }
        }
        return found
    }

    /// Sends SIGKILL to every descendant of `pid` (not to `pid` itself).
    static func kill(descendantsOf pid: pid_t) {
        for p in descendants(of: pid) { Glibc.kill(p, SIGKILL) }
    }

    /// The parent pid from `/proc/PID/stat` (the field after the parenthesised command name).
    static func parentPID(of pid: pid_t) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
