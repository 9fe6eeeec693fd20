import Foundation

/// An opt-in timing trace for finding where a push's time goes: with `RIKER_TRACE_TIMINGS=1` in
/// its environment, a process writes one line to stderr per phase it times,
///
/// ```
/// riker-trace 1764075600.123 riker-hook phase build.buildpacks 412 ms
/// ```
///
/// (the wall-clock time the phase ended, the process, the phase, its duration), so the lines of
/// the hook, `riker serve` and the agents can be laid side by side. Off, it costs one check of a
/// flag read once. Never used for assertions: only `bench/` reads it.
public enum PhaseTrace {
    /// Whether this process traces (read once, at first use).
    public static let enabled = ProcessInfo.processInfo.environment["RIKER_TRACE_TIMINGS"] == "1"
    /// The name lines carry for this process: the executable's name and its pid.
    static let process = "\(URL(fileURLWithPath: CommandLine.arguments.first ?? "riker").lastPathComponent)[\(getpid())]"

    /// Writes the line for `phase`, begun at `start` (a `ContinuousClock` instant), when tracing.
    public static func end(_ phase: String, since start: ContinuousClock.Instant) {
        guard enabled else { return }
        write(phase, ms: start.duration(to: .now).seconds * 1000)
    }

    /// Writes the line for `phase`, the time since the kernel started this process (to within
    /// a clock tick, 10 ms): what starting it took, when called first thing.
    public static func started(_ phase: String) {
        guard enabled, let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return }
        // After the command's ")": state is field 3 of the line, starttime (in ticks since boot) field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return }
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        let since = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        write(phase, ms: since * 1000)
    }

    private static func write(_ phase: String, ms: Double) {
        let line = "riker-trace " + String(format: "%.3f", Date().timeIntervalSince1970) + " \(process) phase \(phase) "
            + String(format: "%.0f", ms) + " ms\n"
        _ = Array(line.utf8).withUnsafeBytes { writeAll(2, $0) }
    }

    /// Runs `body`, tracing its duration as `phase`.
    @discardableResult
    public static func measure<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let start = ContinuousClock.now
        defer { end(phase, since: start) }
        return try body()
    }

    /// Runs `body` (on the caller's actor), tracing its duration as `phase`.
    @discardableResult
    public static func measure<T>(_ phase: String, isolation: isolated (any Actor)? = #isolation,
                                  _ body: () async throws -> T) async rethrows -> T {
        guard enabled else { return try await body() }
        let start = ContinuousClock.now
        defer { end(phase, since: start) }
        return try await body()
    }
}
