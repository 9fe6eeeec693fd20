import ArgumentParser
import Foundation
import RikerCore
import RikerRelease

/// `riker deploys APP`: an app env's deploys, newest first, from their records (`deploys/ID.json`).
struct DeploysList: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.deploys.name,
                                                    abstract: "List an app env's deploys, newest first: release, target, outcome, duration, batches.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Option(help: "How many to show.") var limit = 20
    @Argument var app: String

    struct Row: Encodable {
        var id: String; var release: Int; var previous: Int?; var target: String; var outcome: String
        var startedAt: Date; var finishedAt: Date?; var durationSeconds: Double?; var batches: Int; var instances: Int; var error: String?
        enum CodingKeys: String, CodingKey {
            case id, release, previous, target, outcome, batches, instances, error
            case startedAt = "started_at", finishedAt = "finished_at", durationSeconds = "duration_seconds"
        }
    }

    func run() async throws {
        try await reporting {
            guard limit > 0 else { throw RikerError(.invalidInput, "--limit must be 1 or more") }
            let store = try await global.openApp(app, env: env)
            let rows = try await DeployRecords(store: store, app: app, env: env).newest(limit).map { r in
                Row(id: r.id, release: r.release, previous: r.previous, target: r.target, outcome: r.outcome.rawValue,
                    startedAt: r.startedAt, finishedAt: r.finishedAt, durationSeconds: r.finishedAt.map { $0.timeIntervalSince(r.startedAt) },
                    batches: r.batches.count, instances: Set(r.batches.flatMap(\.instances)).count, error: r.error)
            }
            if global.json { try printJSON(rows); return }
            print("=== \(app) Deploys (\(env))")
            if rows.isEmpty { print("No deploys yet: git push to deploy") }
            let f = ISO8601DateFormatter()
            for r in rows {
                let release = (r.previous.map { "v\($0) → " } ?? "") + "v\(r.release)"
                let took = r.durationSeconds.map(DeployTimes.duration) ?? "running"
                let batches = "\(r.batches) batch\(r.batches == 1 ? "" : "es")"
                print([r.id, pad(release, 10), pad(r.target, 6), pad(r.outcome, 11), pad(took, 8), pad(batches, 10), f.string(from: r.startedAt)]
                    .joined(separator: "  ") + (r.error.map { "  (\($0.prefix(120)))" } ?? ""))
            }
        }
    }

}

/// `riker deploys:info APP ID`: one deploy's timeline, each batch and each instance event at
/// its time relative to the start (`+1.2s`), and the error if it failed.
struct DeploysInfo: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.deploysInfo.name,
                                                    abstract: "Show one deploy: each batch and instance event, timed from its start.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String
    @Argument(help: "The deploy's id, as 'deploys' lists it.") var id: String

    func run() async throws {
        try await reporting {
            guard !id.isEmpty, id.count <= 80, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw RikerError(.invalidInput, "'\(id.prefix(40))' is not a deploy id: see 'deploys \(app)' for them")
            }
            let store = try await global.openApp(app, env: env)
            guard let record = try await DeployRecords(store: store, app: app, env: env).record(id) else {
                throw RikerError(.notFound, "no deploy \(id) of \(app) (\(env)): see 'deploys \(app)\(env == "production" ? "" : " --env \(env)")'")
            }
            if global.json { try printJSON(record); return }
            for line in DeployTimes.timeline(record) { print(line) }
        }
    }
}

/// How deploy times read: durations (`4.2s`, `2m05s`) and a record's timeline.
enum DeployTimes {
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", max(0, seconds)) }
        let s = Int(seconds.rounded())
        return s < 3600 ? String(format: "%dm%02ds", s / 60, s % 60) : String(format: "%dh%02dm", s / 3600, s / 60 % 60)
    }

    /// `+1.2s` from the deploy's start.
    static func offset(_ date: Date, from start: Date) -> String {
        let t = date.timeIntervalSince(start)
        return t < 0 ? "-" + duration(-t) : "+" + duration(t)
    }

    /// The text of `deploys:info`: a summary, then batches and instance events in time order.
    static func timeline(_ r: DeployRecord) -> [String] {
        let f = ISO8601DateFormatter()
        var lines = ["=== Deploy \(r.id) of \(r.app) (\(r.env))"]
        lines.append("Release:   v\(r.release)" + (r.previous.map { " (from v\($0))" } ?? " (first deploy)"))
        lines.append("Target:    \(r.target)")
        lines.append("Started:   \(f.string(from: r.startedAt))")
        lines.append("Outcome:   \(r.outcome.rawValue)" + (r.finishedAt.map { " after \(duration($0.timeIntervalSince(r.startedAt)))" } ?? ""))
        if let error = r.error { lines.append("Error:     \(error)") }

        // Batch starts and ends and instance events, in time order (stable: batches first at a tie).
        var entries: [(at: Date, order: Int, text: String)] = []
        for (i, b) in r.batches.enumerated() {
            let name = "batch \(i + 1) of \(r.batches.count)"
            entries.append((b.startedAt, entries.count, "\(name): \(b.instances.joined(separator: ", "))"))
            if let end = b.finishedAt { entries.append((end, entries.count, "\(name) \(b.outcome.rawValue)")) }
        }
        for e in r.events {
            entries.append((e.at, entries.count, "  \(e.instance): \(e.event)" + (e.detail.map { " (\($0))" } ?? "")))
        }
        if let end = r.finishedAt { entries.append((end, entries.count, "deploy \(r.outcome.rawValue)")) }
        if !entries.isEmpty { lines.append("") }
        for e in entries.sorted(by: { ($0.at, $0.order) < ($1.at, $1.order) }) {
            lines.append("\(offset(e.at, from: r.startedAt).padding(toLength: 9, withPad: " ", startingAt: 0)) \(e.text)")
        }
        if let requests = r.requests, !requests.isEmpty {
            lines.append("")
            lines.append("Requests:  " + requests.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines
    }
}
