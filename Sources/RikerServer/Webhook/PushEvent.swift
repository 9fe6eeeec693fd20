import Foundation

/// The fields of a GitHub `push` event Riker uses. Everything else in the payload (and its
/// quirks: `created_at` a Unix integer here, an ISO string elsewhere) is ignored.
struct PushEvent: Decodable {
    struct Repository: Decodable {
        var fullName: String?
        var cloneURL: String?
        enum CodingKeys: String, CodingKey { case fullName = "full_name", cloneURL = "clone_url" }
    }
    struct Pusher: Decodable { var name: String? }

    var ref: String
    var before: String?
    var after: String
    var deleted: Bool?
    var repository: Repository?
    var pusher: Pusher?

    static let zeroCommit = String(repeating: "0", count: 40)

    /// What a push asks for: a build of a branch, or nothing (with the reason).
    enum Intent: Equatable {
        case build(branch: String)
        case ignore(String)
    }

    var intent: Intent {
        if ref.hasPrefix("refs/tags/") { return .ignore("tag \(ref.dropFirst(10)): tags are not deployed") }
        guard ref.hasPrefix("refs/heads/"), ref.count > 11 else { return .ignore("ref \(ref.prefix(100)) is not a branch") }
        let branch = String(ref.dropFirst(11))
        if deleted == true || after == Self.zeroCommit { return .ignore("branch \(branch) was deleted: nothing to deploy") }
        return .build(branch: branch)
    }

    static func parse(_ json: Data) throws -> PushEvent {
        let event: PushEvent
        do { event = try JSONDecoder().decode(PushEvent.self, from: json) } catch {
            throw APIError(.badRequest, "malformed push event: \(Self.describe(error))")
        }
        guard event.after.count == 40 || event.after.count == 64, event.after.allSatisfy(\.isHexDigit) else {
            throw APIError(.badRequest, "malformed push event: 'after' is not a commit id")
        }
        return event
    }

    /// A short reason for a JSON decoding failure (no payload text).
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "field '\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "not valid JSON"
        }
    }
}

/// A `ping` event: any JSON object; `zen` and `hook_id` are echoed in the log only.
struct PingEvent: Decodable {
    var zen: String?
    var hookID: Int?
    enum CodingKeys: String, CodingKey { case zen, hookID = "hook_id" }

    static func parse(_ json: Data) throws -> PingEvent {
        do { return try JSONDecoder().decode(PingEvent.self, from: json) } catch {
            throw APIError(.badRequest, "malformed ping event: \(PushEvent.describe(error))")
        }
    }
}
