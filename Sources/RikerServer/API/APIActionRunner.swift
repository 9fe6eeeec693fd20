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
public final class APIActionRunner: Service, @unchecked Sendable {
    public typealias Work = @Sendable (Output) async throws -> String?
    struct Job: Sendable { let action: APIAction; let work: Work }

    public let store: any ReleaseStore
    let scratch: URL
    let logger: Logger
    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    /// Lines of output kept in the record.
    static let logLines = 60

    public init(store: any ReleaseStore, scratch: URL, logger: Logger) {
        self.store = store; self.scratch = scratch; self.logger = logger
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

    /// The record of `id` for `app`, nil if none.
    public func action(app: String, id: String) async throws -> APIAction? {
        guard AppName.isValid(app), BuildID.isValid(id), let obj = try await store.get(APIAction.key(app, id)) else { return nil }
        return try JSONCoding.decode(APIAction.self, from: obj.data, what: "API action \(id)")
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
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
        try? await save(action)
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let logFile = scratch.appendingPathComponent("\(action.id).log")
        let output = Output.null
        output.tee(to: logFile)
        let meta: Logger.Metadata = ["app": .string(action.app), "env": .string(action.env), "action": .string(action.id)]
        logger.info("API \(action.kind) started: \(action.request)", metadata: meta)
        do {
            action.release = try await job.work(output)
            action.status = .succeeded
            logger.info("API \(action.kind) succeeded\(action.release.map { ": \($0)" } ?? "")", metadata: meta)
        } catch {
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

    func save(_ action: APIAction) async throws {
        try await store.put(APIAction.key(action.app, action.id), try JSONCoding.encode(action), condition: .always)
    }
}
