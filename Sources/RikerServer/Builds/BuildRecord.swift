import Foundation

/// One build asked for by a webhook delivery, kept in the store at `builds/APP/ID.json`.
///
/// Deliveries for an app env that arrive while a build of it is running wait, and the
/// waiting ones coalesce: one build runs for all of them, on the branch tip fetched when it
/// starts. Each delivery keeps its own record; those carried by another's build name it in
/// `coalescedInto` and share its status, commit and outcome.
public struct BuildRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case queued, running, succeeded, failed
    }

    public var id: String
    public var app: String
    public var env: String
    public var branch: String
    public var ref: String
    /// The commit the delivery announced.
    public var requestedCommit: String
    /// The commit built: the branch tip when the build started (nil until fetched).
    public var commit: String?
    public var status: Status
    public var delivery: String
    /// The build that ran for this delivery, when it was not this one.
    public var coalescedInto: String?
    /// The release made (`v12`), when the build succeeded and deployed.
    public var release: String?
    /// Why nothing was built although the build succeeded (e.g. the commit is already deployed).
    public var note: String?
    /// Why it failed: one line.
    public var error: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, app, env, branch, ref, commit, status, delivery, release, note, error
        case requestedCommit = "requested_commit"
        case coalescedInto = "coalesced_into"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    /// The queued record of a delivery just accepted.
    public init(queued d: Delivery) {
        id = d.buildID; app = d.app; env = d.env; branch = d.branch; ref = d.ref; requestedCommit = d.commit
        status = .queued; delivery = d.id; createdAt = d.receivedAt
    }

    public var isFinished: Bool { status == .succeeded || status == .failed }
}

/// Build ids: sortable by time, unique enough to share a store between servers.
public enum BuildID {
    public static func make(at date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss"
        return f.string(from: date) + "-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// `yyyyMMddTHHmmss-xxxxxxxx` and nothing else (ids end up in store keys).
    public static func isValid(_ id: String) -> Bool {
        let b = Array(id.utf8)
        guard b.count == 24, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "-") else { return false }
        return b.enumerated().allSatisfy { i, c in
            i == 8 || i == 15 || (c >= 0x30 && c <= 0x39) || (i > 15 && c >= 0x61 && c <= 0x66)
        }
    }
}
