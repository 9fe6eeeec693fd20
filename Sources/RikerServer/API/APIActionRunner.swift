import Foundation
import Logging
import RikerCore
import RikerRelease
import ServiceLifecycle

/// Runs the API's changes in the background, one task each, and records their progress in
/// the store (`APIAction`). A change is recorded as queued before its 202 is sent.
///
/// A ServiceLifecycle service: on graceful shutdown it takes no new work and waits for the
/// changes already running (a deploy is not cut in half). Changes of one app env are not
/// serialised here: the deploy lock in the store arbitrates, and a change that cannot take it
/// fails with the lock's message.
///
/// A server killed mid-way (kill -9, a crash) cannot record its end, so while an action runs
/// its server refreshes the record's `heartbeat_at` every `heartbeatInterval` seconds. An
/// unfinished action whose server is gone (`APIAction.ownerIsGone`) is recorded as failed, with
/// a compare-and-swap so a live server's heartbeat wins, by whichever server reads it next and
/// by every server when it starts (`sweep`).
public final class APIActionRunner: Service, @unchecked Sendable {
    public typealias Work = @Sendable (Output) async throws -> String?
    struct Job: Sendable { let action: APIAction; let work: Work }

    public let store: any ReleaseStore
    let scratch: URL
    let logger: Logger
    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    /// Seconds between heartbeats of a running action, and since the last one after which
    /// its server counts as gone.
    let heartbeatInterval: Double
    let deadAfter: Double
    /// Lines of output kept in the record.
    static let logLines = 60

    public init(store: any ReleaseStore, scratch: URL, logger: Logger, heartbeatInterval: Double = 5, deadAfter: Double = 120) {
        self.store = store; self.scratch = scratch; self.logger = logger
        self.heartbeatInterval = heartbeatInterval; self.deadAfter = deadAfter
        (stream, continuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Records `action` as queued and schedules `work`; returns the record.
    public func submit(_ action: APIAction, work: @escaping Work) async throws -> APIAction {
        try await save(action)
        guard case .enqueued = continuation.yield(Job(action: action, work: work)) else {
            var refused = action
            refused.status = .failed; refused.error = "riker serve is shutting down: try again"; refused.finishedAt = Date()
            try? await save(refused)
            throw APIError(.serviceUnavailable, "riker serve is shutting down: try again in a moment")
        }
        return action
    }

    /// The record of `id` for `app`, nil if none; recorded as failed first if it was left
    /// unfinished by a server that is gone.
    public func action(app: String, id: String) async throws -> APIAction? {
        guard AppName.isValid(app), BuildID.isValid(id), let obj = try await store.get(APIAction.key(app, id)) else { return nil }
        return try await settle(APIAction.key(app, id), obj)
    }

    /// The action stored at `key`: as it is, or, if its server is gone, recorded as failed.
    func settle(_ key: String, _ obj: StoredObject) async throws -> APIAction {
        let action = try JSONCoding.decode(APIAction.self, from: obj.data, what: "API action \(key)")
        let now = Date()
        guard action.ownerIsGone(now: now, deadAfter: deadAfter) else { return action }
        let failed = action.abandoned(now: now)
        do {
            try await store.put(key, try JSONCoding.encode(failed), condition: .ifMatch(obj.etag))
        } catch let e as RikerError where e.code == .preconditionFailed {
            // Its server beat, or another server settled it first: what is there now is the answer.
            guard let fresh = try await store.get(key) else { return action }
            return try JSONCoding.decode(APIAction.self, from: fresh.data, what: "API action \(key)")
        }
        logger.warning("API \(action.kind) \(action.id) of \(action.app) (\(action.env)) was left \(action.status.rawValue) by a server that is gone: recorded as failed",
                       metadata: ["app": .string(action.app), "env": .string(action.env), "action": .string(action.id)])
        return failed
    }

    /// Settles the newest `perApp` actions of every app: those a stopped server left unfinished
    /// become failed. Errors are logged; the next read of an action settles it anyway.
    public func sweep(perApp: Int = 200) async {
        do {
            for app in try await store.listChildren(prefix: "actions/") where AppName.isValid(app) {
                let keys = try await store.list(prefix: "actions/\(app)/").map(\.key).filter { $0.hasSuffix(".json") }
                for key in keys.sorted(by: >).prefix(perApp) {
                    guard let obj = try await store.get(key) else { continue }
                    _ = try? await settle(key, obj)
                }
            }
        } catch {
            logger.error("cannot look for API actions left unfinished: \(error.userMessage)")
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.sweep() }
                for await job in self.stream {
                    group.addTask { await self.execute(job) }
                }
            }
        } onGracefulShutdown: { [continuation] in
            continuation.finish()
        }
    }

    func execute(_ job: Job) async {
        var action = job.action
        action.status = .running
        action.startedAt = Date()
        action.heartbeatAt = action.startedAt
        try? await save(action)
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let logFile = scratch.appendingPathComponent("\(action.id).log")
        let output = Output.null
        output.tee(to: logFile)
        let meta: Logger.Metadata = ["app": .string(action.app), "env": .string(action.env), "action": .string(action.id)]
        logger.info("API \(action.kind) started: \(action.request)", metadata: meta)
        let running = action
        let outcome: Result<String?, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.heartbeat(running) }
            let outcome: Result<String?, any Error>
            do { outcome = .success(try await job.work(output)) } catch { outcome = .failure(error) }
            group.cancelAll()
            await group.waitForAll()
            return outcome
        }
        switch outcome {
        case .success(let release):
            action.release = release
            action.status = .succeeded
            logger.info("API \(action.kind) succeeded\(action.release.map { ": \($0)" } ?? "")", metadata: meta)
        case .failure(let error):
            action.status = .failed
            action.error = error.userMessage
            logger.warning("API \(action.kind) failed: \(error.userMessage)", metadata: meta)
        }
        action.finishedAt = Date()
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        action.log = Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(Self.logLines).map(String.init))
        try? FileManager.default.removeItem(at: logFile)
        do { try await save(action) } catch {
            logger.error("cannot record API action \(action.id): \(error.userMessage)", metadata: meta)
        }
    }

    /// Refreshes the running record's heartbeat until cancelled (when the work is done).
    func heartbeat(_ running: APIAction) async {
        var beat = running
        while true {
            do { try await Task.sleep(nanoseconds: UInt64(heartbeatInterval * 1e9)) } catch { return }
            beat.heartbeatAt = Date()
            do { try await save(beat) } catch {
                logger.warning("cannot refresh API action \(beat.id): \(error.userMessage)", metadata: ["app": .string(beat.app), "action": .string(beat.id)])
            }
        }
    }

    func save(_ action: APIAction) async throws {
        try await store.put(APIAction.key(action.app, action.id), try JSONCoding.encode(action), condition: .always)
    }
}
