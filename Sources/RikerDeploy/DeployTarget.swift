import Foundation
import RikerCore
import RikerRelease

/// One deploy in progress: its id, where progress goes, and its record in the store.
public final class DeployContext: @unchecked Sendable {
    public let id: String
    public let output: Output
    public let store: any ReleaseStore
    private let lock = NSLock()
    private var _record: DeployRecord
    private var lastSave = Date.distantPast
    /// Instance events are saved at most this often (each save rewrites the record in the store).
    static let saveInterval = 1.0

    init(id: String, output: Output, store: any ReleaseStore, record: DeployRecord) {
        self.id = id; self.output = output; self.store = store; self._record = record
    }

    public var record: DeployRecord { lock.withLock { _record } }

    /// Records an instance event and prints it as a detail line. The record is saved at most
    /// once a second for events (a 100-instance deploy must not rewrite it 400 times);
    /// `update` always saves, so batch and deploy outcomes are never lost.
    public func event(_ instance: String, release: Int, _ event: String, detail: String? = nil) async {
        output.detail("\(instance): \(event)" + (detail.map { " (\($0))" } ?? ""))
        let rec: DeployRecord? = lock.withLock {
            _record.events.append(.init(instance: instance, release: release, event: event, detail: detail))
            guard Date().timeIntervalSince(lastSave) >= Self.saveInterval else { return nil }
            lastSave = Date()
            return _record
        }
        if let rec { try? await store.saveDeploy(rec) }
    }

    /// Changes the record and saves it (with any events not saved yet).
    public func update(_ change: (inout DeployRecord) -> Void) async {
        let rec: DeployRecord = lock.withLock { change(&_record); lastSave = Date(); return _record }
        try? await store.saveDeploy(rec)
    }
}

/// Where releases run: the local machine (`local`) or an Auto Scaling Group (`asg`).
public protocol DeployTarget {
    /// Rolls `release` out. On failure it puts every instance it touched back on `previous`
    /// and throws `.deployFailed` with the reason. Returns the address the app answers on.
    func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String
}
