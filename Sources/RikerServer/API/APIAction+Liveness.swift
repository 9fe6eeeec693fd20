import Foundation
import RikerCore

extension APIAction {
    /// Whether this action is unfinished.
    public var isUnfinished: Bool { status == .queued || status == .running }

    /// Whether the server that ran this unfinished action is gone for sure: it ran on this
    /// host and its process no longer exists, or (any host) its heartbeat is older than
    /// `deadAfter` seconds, a limit well above the heartbeat interval and the clock skew of
    /// servers sharing a store. A record without a heartbeat (an older Riker's) counts from
    /// when it started.
    public func ownerIsGone(now: Date, deadAfter: TimeInterval) -> Bool {
        guard isUnfinished else { return false }
        if host == ProcessInfo.processInfo.hostName, let process, let identity = ProcessIdentity(parsing: process), !identity.isAlive {
            return true
        }
        return now.timeIntervalSince(heartbeatAt ?? startedAt ?? createdAt) > deadAfter
    }

    /// This action recorded as failed because its server stopped while it was unfinished.
    func abandoned(now: Date) -> APIAction {
        var a = self
        let who = [host, process.map { "process \($0.split(separator: ":").first ?? "")" }].compactMap { $0 }.joined(separator: " ")
        let change = kind == "config" ? "config change (and its release)" : kind
        a.error = "riker serve\(who.isEmpty ? "" : " (\(who))") stopped while this \(change) was \(status.rawValue): "
            + "a deploy it left half done is rolled back by riker serve's recovery or the next deploy of \(app) (\(env)), "
            + "see GET /api/apps/\(app)/\(env)/deploys; then run it again"
        a.status = .failed
        a.finishedAt = now
        return a
    }
}
