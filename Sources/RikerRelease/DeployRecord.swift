import Foundation

/// `deploys/ID.json`: the story of one deploy, batch by batch and instance by instance.
public struct DeployRecord: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable { case running, succeeded, failed, rolledBack = "rolled_back" }

    public struct InstanceEvent: Codable, Sendable, Equatable {
        public var instance: String
        public var release: Int
        public var event: String
        public var at: Date
        public var detail: String?
        public init(instance: String, release: Int, event: String, at: Date = Date(), detail: String? = nil) {
            self.instance = instance; self.release = release; self.event = event; self.at = at; self.detail = detail
        }
    }

    public struct Batch: Codable, Sendable, Equatable {
        public var instances: [String]
        public var startedAt: Date
        public var finishedAt: Date?
        public var outcome: Outcome
        enum CodingKeys: String, CodingKey {
            case instances, outcome
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
        public init(instances: [String], startedAt: Date = Date(), finishedAt: Date? = nil, outcome: Outcome = .running) {
            self.instances = instances; self.startedAt = startedAt; self.finishedAt = finishedAt; self.outcome = outcome
        }
    }

    public var id: String
    public var app: String
    public var env: String
    public var release: Int
    public var previous: Int?
    public var target: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: Outcome
    public var error: String?
    public var batches: [Batch]
    public var events: [InstanceEvent]
    /// Store and cloud API requests the deploy made, by kind (`store.put`, `elbv2.RegisterTargets`, …).
    public var requests: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case id, app, env, release, previous, target, outcome, error, batches, events, requests
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public init(id: String, app: String, env: String, release: Int, previous: Int?, target: String) {
        self.id = id; self.app = app; self.env = env; self.release = release; self.previous = previous
        self.target = target; self.startedAt = Date(); self.outcome = .running; self.batches = []; self.events = []
    }
}
