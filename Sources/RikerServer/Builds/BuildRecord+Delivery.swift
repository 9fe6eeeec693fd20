import Foundation
import RikerRelease

extension BuildRecord {
    /// The queued record of a delivery just accepted.
    public init(queued d: Delivery) {
        self.init(id: d.buildID, app: d.app, env: d.env, branch: d.branch, ref: d.ref, commit: d.commit, delivery: d.id,
                  source: "webhook", createdBy: "github:\(d.pusher ?? "webhook")", status: .queued, at: d.receivedAt)
        commit = nil
    }
}
