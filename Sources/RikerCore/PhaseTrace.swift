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
    /// The name lines carry for this process: the executable's name and its first argument
    /// (`riker hook`, `riker serve`, `riker-agent run`).
    static let process = CommandLine.arguments.prefix(2).enumerated()
        .map { $0.offset == 0 ? URL(fileURLWithPath: $0.element).lastPathComponent : $0.element }.joined(separator: "-")

    /// Writes the line for `phase`, begun at `start` (a `ContinuousClock` instant), when tracing.
    public static func end(_ phase: String, since start: ContinuousClock.Instant) {
        guard enabled else { return }
        let ms = start.duration(to: .now).seconds * 1000
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
