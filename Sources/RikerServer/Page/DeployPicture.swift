import Foundation
import RikerRelease

/// What a deploy record says about each instance, batch by batch: the picture the env page
/// draws. Derived from the record alone (its batches and instance events, see `RollingDeploy`),
/// plus the env's instance ids for those no batch has reached yet.
struct DeployPicture: Equatable {
    enum State: String {
        case waiting, draining, installing, healthy, failed
        case rolledBack = "rolled-back"
        /// The deploy is over and never reached this instance.
        case untouched

        var label: String { self == .rolledBack ? "rolled back" : rawValue }
    }

    struct Instance: Equatable {
        var id: String
        var state: State
        /// The newest event's words (`installing v3`, `failed (health check …)`).
        var detail: String
    }

    struct Row: Equatable {
        /// 1-based batch number; nil for instances no batch has reached.
        var batch: Int?
        var outcome: DeployRecord.Outcome?
        var instances: [Instance]
    }

    var rows: [Row]

    init(_ record: DeployRecord, instanceIDs: [String]) {
        var rows: [Row] = []
        var placed = Set<String>()
        for (i, batch) in record.batches.enumerated() {
            let instances = batch.instances.map { id -> Instance in
                let event = record.events.last { $0.instance == id }
                let words = event.map { $0.event + ($0.detail.map { d in " (\(d))" } ?? "") } ?? ""
                return Instance(id: id, state: Self.state(of: id, event: event, batch: batch, record: record), detail: words)
            }
            placed.formUnion(batch.instances)
            rows.append(Row(batch: i + 1, outcome: batch.outcome, instances: instances))
        }
        let rest = instanceIDs.filter { !placed.contains($0) }.sorted()
        if !rest.isEmpty {
            let state: State = record.outcome == .running ? .waiting : .untouched
            rows.append(Row(batch: nil, outcome: nil, instances: rest.map { Instance(id: $0, state: state, detail: "") }))
        }
        self.rows = rows
    }

    static func state(of id: String, event: DeployRecord.InstanceEvent?, batch: DeployRecord.Batch, record: DeployRecord) -> State {
        let words = event?.event ?? ""
        if words == "failed" || words == "timed out" || words == "left the group" || words.hasPrefix("did not confirm") { return .failed }
        if words.hasPrefix("back on") { return .rolledBack }
        if batch.outcome == .rolledBack { return .rolledBack }
        if words == "registered again" { return record.outcome == .succeeded ? .healthy : .rolledBack }
        if batch.outcome == .succeeded || words == "in service" || words.hasSuffix("is up and healthy") { return .healthy }
        if batch.outcome == .failed { return .failed }
        if words == "deregistered" { return .draining }
        // A batch just begun: nothing has happened to the instance yet.
        return event == nil ? .waiting : .installing
    }
}
