import Foundation
import RikerCore
import RikerRelease

/// Which lines `riker logs` shows: `-n N`, `--ps TYPE`, `--instance ID`.
public struct LogQuery: Sendable, Equatable {
    /// How many of the most recent lines (0: none, only what follows).
    public var lines: Int
    /// `web` matches `web.1`, `web.2`…; `web.1` matches only itself; `agent` matches Riker's agent events.
    public var process: String?
    public var instance: String?

    public init(lines: Int = 100, process: String? = nil, instance: String? = nil) {
        self.lines = max(0, lines); self.process = process; self.instance = instance
    }

    public func matches(_ line: LogLine) -> Bool {
        if let instance, line.instance != nil, line.instance != instance { return false }
        if let process, line.process != process, line.processType != process { return false }
        return true
    }
}

/// Reads an app env's log chunks back from the store: the last lines merged across instances
/// in time order, and new lines as they are shipped (`riker logs APP [-t]`).
public struct LogReader: Sendable {
    public let store: any ReleaseStore
    public let app: String
    public let env: String

    public init(store: any ReleaseStore, app: String, env: String) { self.store = store; self.app = app; self.env = env }

    /// The last `query.lines` matching lines across all instances (or `query.instance`), oldest first.
    public func recent(_ query: LogQuery) async throws -> [LogLine] {
        try await recentAndListing(query).lines
    }

    /// Calls `deliver` once with the last `query.lines` lines (maybe none: the follow has then
    /// started), then, polling every `pollInterval` seconds, with the lines of chunks shipped
    /// since (in time order within each delivery), until the task is cancelled or `deliver` throws. Each poll lists the chunks once and fetches only new ones.
    /// A store that keeps failing (`maxFailures` polls in a row) ends it with the error.
    public func follow(_ query: LogQuery, pollInterval: Double = 1, maxFailures: Int = 10,
                       deliver: ([LogLine]) async throws -> Void) async throws {
        let start = try await recentAndListing(query)
        try await deliver(start.lines)
        var seen = start.listed
        var failures = 0
        while !Task.isCancelled {
            do { try await Task.sleep(nanoseconds: UInt64(pollInterval * 1_000_000_000)) } catch { return }
            var lines: [(LogLine, Int)] = []
            do {
                let keys = try await listChunks(query)
                for key in keys.filter({ !seen.contains($0.description) }).sorted() {
                    for line in try await fetch(key) where query.matches(line) { lines.append((line, lines.count)) }
                }
                // Forget keys that are gone (pruned), so memory follows the retention.
                seen = Set(keys.map(\.description))
                failures = 0
            } catch {
                failures += 1
                if failures >= maxFailures { throw error }
                continue
            }
            if !lines.isEmpty { try await deliver(lines.sorted { ($0.0.time, $0.1) < ($1.0.time, $1.1) }.map(\.0)) }
        }
    }

    private func recentAndListing(_ query: LogQuery) async throws -> (lines: [LogLine], listed: Set<String>) {
        let keys = try await listChunks(query)
        let listed = Set(keys.map(\.description))
        guard query.lines > 0 else { return ([], listed) }
        let byInstance = Dictionary(grouping: keys, by: \.instance)
        let perInstance = try await withThrowingTaskGroup(of: [LogLine].self) { group in
            for (_, chunks) in byInstance {
                group.addTask { try await lastLines(query, chunks: chunks.sorted()) }
            }
            var all: [[LogLine]] = []
            for try await lines in group { all.append(lines) }
            return all
        }
        return (merge(perInstance).suffix(query.lines), listed)
    }

    /// Walks one instance's chunks from the newest back until `query.lines` matching lines are found.
    private func lastLines(_ query: LogQuery, chunks: [LogChunkKey]) async throws -> [LogLine] {
        var parts: [[LogLine]] = []
        var found = 0
        for key in chunks.reversed() {
            let lines = try await fetch(key).filter(query.matches)
            parts.append(lines)
            found += lines.count
            if found >= query.lines { break }
        }
        return Array(parts.reversed().joined())
    }

    /// Merges per-instance runs by time; lines with the same time keep their instance's order.
    func merge(_ runs: [[LogLine]]) -> [LogLine] {
        var tagged: [(line: LogLine, run: Int, index: Int)] = []
        for (r, run) in runs.enumerated() {
            for (i, line) in run.enumerated() { tagged.append((line, r, i)) }
        }
        tagged.sort { ($0.line.time, $0.line.instance ?? "", $0.run, $0.index) < ($1.line.time, $1.line.instance ?? "", $1.run, $1.index) }
        return tagged.map(\.line)
    }

    private func listChunks(_ query: LogQuery) async throws -> [LogChunkKey] {
        let prefix = query.instance.map { LogChunkKey.prefix(app, env, instance: $0) } ?? LogChunkKey.prefix(app, env)
        return try await store.list(prefix: prefix).compactMap { LogChunkKey($0.key, app: app, env: env) }
    }

    /// The lines of one chunk (none if it was deleted meanwhile). Lines without an instance
    /// get the chunk's.
    private func fetch(_ key: LogChunkKey) async throws -> [LogLine] {
        guard let object = try await store.get(key.description) else { return [] }
        return object.data.split(separator: 0x0a).compactMap { raw in
            guard var line = LogLine(parsing: String(decoding: raw, as: UTF8.self)) else { return nil }
            if line.instance == nil { line.instance = key.instance }
            return line
        }
    }
}
