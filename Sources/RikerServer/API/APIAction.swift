import Foundation
import RikerRelease
import RikerCore

/// A change started through the API (deploy, rollback, promote, config), kept in the store
/// at `actions/APP/ID.json` so every server sharing the store can answer for it.
public struct APIAction: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case queued, running, succeeded, failed }

    public var id: String
    public var app: String
    /// The env changed (for a promotion, the target).
    public var env: String
    /// `deploy`, `rollback`, `promote` or `config`.
    public var kind: String
    /// What was asked, in words without secrets (`ref main`, `to v3`, `from staging`, `set A, B`).
    public var request: String
    public var status: Status
    /// The token that asked.
    public var requestedBy: String
    /// The release made (`v8`).
    public var release: String?
    /// Why it failed: one line.
    public var error: String?
    /// The last lines of its output (steps, as a push shows them).
    public var log: [String]?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The host and process (`PID:STARTTIME`) of the `riker serve` running it.
    public var host: String?
    public var process: String?
    /// Refreshed by that server while the action is queued or running (`APIActionRunner.heartbeat`).
    public var heartbeatAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, app, env, kind, request, status, release, error, log, host, process
        case requestedBy = "requested_by"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case heartbeatAt = "heartbeat_at"
    }

    public init(app: String, env: String, kind: String, request: String, requestedBy: String) {
        id = BuildID.make(); self.app = app; self.env = env; self.kind = kind; self.request = request
        status = .queued; self.requestedBy = requestedBy; createdAt = Date()
        host = ProcessInfo.processInfo.hostName; process = ProcessIdentity.of(getpid())?.description; heartbeatAt = createdAt
    }

    static func key(_ app: String, _ id: String) -> String { "actions/\(app)/\(id).json" }
}
