import ArgumentParser
import Foundation
import RikerCore
import RikerLogs
import RikerRelease

/// `riker logs APP`: the app env's recent log lines from every instance, merged in time order
/// (its processes' output and Riker's `riker[agent]` events), and with `-t` the lines shipped
/// from then on, until interrupted or, over SSH, until the client hangs up.
struct Logs: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(
        commandName: Verb.logs.name,
        abstract: "Show an app env's recent log lines across instances; -t follows them.",
        discussion: "Lines look like '2026-11-25T04:00:00.123Z app[web.1@local-1]: text'. With --json each line is one JSON object.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Option(name: [.customShort("n"), .customLong("num")], help: "How many recent lines to show (0 to \(Self.maxLines)).") var num = 100
    @Option(help: "Only this process type (web), process (web.1), or 'agent' for Riker's events.") var ps: String?
    @Option(help: "Only lines from this instance.") var instance: String?
    @Flag(name: [.customShort("t"), .customLong("tail")], help: "Keep showing new lines as they are shipped.") var tail = false
    @Argument var app: String

    static let maxLines = 10_000
    /// Seconds between looks for new chunks while following.
    static let followInterval = 1.0

    func run() async throws {
        try await reporting {
            guard (0...Self.maxLines).contains(num) else { throw RikerError(.invalidInput, "-n must be from 0 to \(Self.maxLines), got \(num)") }
            if let ps {
                guard !ps.isEmpty, ps.count <= 64, ps.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                    throw RikerError(.invalidInput, "--ps takes a process type like web, a process like web.1, or agent; got '\(ps.prefix(40))'")
                }
            }
            if let instance {
                guard !instance.isEmpty, instance.count <= 128, !instance.contains("/"), !instance.hasPrefix("."),
                      instance.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw RikerError(.invalidInput, "--instance takes an instance id like local-1 or i-0abc; got '\(instance.prefix(40))'")
                }
            }
            let store = try await global.openApp(app, env: env)
            let reader = LogReader(store: store, app: app, env: env)
            let query = LogQuery(lines: num, process: ps, instance: instance)
            let out = StandardOutputWriter()
            let json = global.json
            let write: @Sendable ([LogLine]) throws -> Void = { lines in
                guard !lines.isEmpty else { return }
                try out.write(lines.map { (json ? $0.json : $0.description) + "\n" }.joined())
            }
            do {
                if tail {
                    try await follow(reader, query, out: out, write: write)
                } else {
                    try write(try await reader.recent(query))
                }
            } catch is StandardOutputWriter.Closed {
                // Nobody reads any more (an SSH client hung up): nothing to say, nowhere to say it.
            }
        }
    }

    /// Follows until cancelled, the reader of standard output goes away, or the store keeps failing.
    private func follow(_ reader: LogReader, _ query: LogQuery, out: StandardOutputWriter,
                        write: @escaping @Sendable ([LogLine]) throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await reader.follow(query, pollInterval: Self.followInterval) { try write($0) }
            }
            // No new lines means no writes to fail: watch for the hang-up itself.
            group.addTask {
                while !Task.isCancelled {
                    if out.isClosed { throw StandardOutputWriter.Closed() }
                    try await Task.sleep(nanoseconds: 200_000_000)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}
