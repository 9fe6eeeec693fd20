import Foundation

/// An accepted `push` delivery: what must be built, recorded durably before GitHub gets its 202.
public struct Delivery: Codable, Sendable, Equatable {
    /// GitHub's `X-GitHub-Delivery` (the same on a redelivery).
    public var id: String
    public var app: String
    public var env: String
    public var branch: String
    /// `refs/heads/BRANCH`.
    public var ref: String
    /// The pushed commit (`after`). The build itself uses the branch tip as fetched when it starts.
    public var commit: String
    /// The repository as GitHub named it: `owner/name` and its clone URL.
    public var repository: String?
    public var cloneURL: String?
    public var pusher: String?
    /// The build this delivery was answered with.
    public var buildID: String
    public var receivedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, app, env, branch, ref, commit, repository, pusher
        case cloneURL = "clone_url"
        case buildID = "build_id"
        case receivedAt = "received_at"
    }

    public init(id: String, app: String, env: String, branch: String, ref: String, commit: String, repository: String? = nil,
                cloneURL: String? = nil, pusher: String? = nil, buildID: String, receivedAt: Date = Date()) {
        self.id = id; self.app = app; self.env = env; self.branch = branch; self.ref = ref; self.commit = commit
        self.repository = repository; self.cloneURL = cloneURL; self.pusher = pusher; self.buildID = buildID; self.receivedAt = receivedAt
    }

    /// `APP/ENV`: deliveries with the same key build one at a time and coalesce.
    public var key: String { "\(app)/\(env)" }
}

/// Delivery ids are GUIDs; anything else that is short and safe as a file name is accepted.
public enum DeliveryID {
    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f
        } && id.first != "-"
    }

    /// The id if valid, for logs; nil otherwise (a bad header is never logged as sent).
    static func sanitized(_ id: String) -> String? { isValid(id) ? id : nil }
}
