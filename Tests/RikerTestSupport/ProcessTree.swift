import Foundation

/// A process and everything it started, from /proc: what a test kills when it plays a machine
/// dying (an agent and its apps, which run in their own process groups) or when it cleans up
/// after one it crashed on purpose.
public enum ProcessTree {
    /// Every live descendant of `pid` (children, their children, …), nearest first.
    public static func descendants(of pid: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for (child, parent) in parents() { children[parent, default: []].append(child) }
        var out: [pid_t] = []
        var next = children[pid] ?? []
        while !next.isEmpty {
            out += next
            next = next.flatMap { children[$0] ?? [] }
        }
        return out
    }

    /// SIGKILLs `pid` and its descendants (found before the first signal, so none is re-parented
    /// out of sight).
    public static func kill(_ pid: pid_t) {
        let all = [pid] + descendants(of: pid)
        for p in all { Glibc.kill(p, SIGKILL) }
    }

    /// SIGKILLs each of `pids` still alive.
    public static func kill(_ pids: [pid_t]) {
        for p in pids where p > 1 { Glibc.kill(p, SIGKILL) }
    }

    /// pid → parent pid of every process, from /proc/PID/stat (the field after the command,
    /// which is in parentheses and may hold spaces).
    static func parents() -> [(pid_t, pid_t)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name in
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let ppid = pid_t(fields[1]) else { return nil }
            return (pid, ppid)
        }
    }
}
