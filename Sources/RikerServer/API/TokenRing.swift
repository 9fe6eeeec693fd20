import Foundation
import RikerCore
import RikerRelease

extension StoreLayout {
    /// The HTTP API tokens of every server sharing the store: hashes, app lists, read-only flags.
    public static let tokens = "tokens.json"
}

/// The API tokens, kept in the release store (`tokens.json`) so every `riker serve` sharing
/// the store accepts the same ones: added, listed, removed, and checked against a presented
/// bearer token.
///
/// Only SHA-256 hashes are kept; a token's text is shown once, by `add`. Changes are
/// compare-and-swap writes on the object's entity tag (create-if-absent for the first), retried
/// on a conflict, so two servers or two `tokens:add` at once never lose one; a refused change
/// leaves it untouched. Every check reads the object conditionally (`If-None-Match` on the last
/// entity tag: a 304 on S3, a small file read locally) and decodes it again only when it
/// changed, so `tokens:add` and `tokens:remove` take effect on every server at its next request.
/// Checks that arrive while a read is under way share it.
public final class TokenRing: @unchecked Sendable {
    public let store: any ReleaseStore
    private let lock = NSLock()
    private var cached: (etag: String, tokens: [APIToken])?
    private var inFlight: Task<[APIToken], any Error>?

    public init(store: any ReleaseStore) { self.store = store }

    /// Every token, sorted by name.
    public func load() async throws -> [APIToken] {
        if let running = lock.withLock({ inFlight }) { return try await running.value }
        let task = Task { try await self.fetch() }
        lock.withLock { if inFlight == nil { inFlight = task } }
        defer { lock.withLock { if inFlight == task { inFlight = nil } } }
        return try await task.value
    }

    private func fetch() async throws -> [APIToken] {
        let previous = lock.withLock { cached }
        let read: ConditionalRead
        if let previous { read = try await store.get(StoreLayout.tokens, ifNoneMatch: previous.etag) } else {
            read = try await store.get(StoreLayout.tokens).map { .changed($0) } ?? .absent
        }
        switch read {
        case .absent:
            lock.withLock { cached = nil }
            return []
        case .unchanged:
            return previous?.tokens ?? []
        case .changed(let obj):
            let tokens = try Self.decode(obj.data)
            lock.withLock { cached = (obj.etag, tokens) }
            return tokens
        }
    }

    static func decode(_ data: Data) throws -> [APIToken] {
        try JSONCoding.decode([APIToken].self, from: data, what: "the API tokens (\(StoreLayout.tokens) in the store)")
    }

    /// Creates a token and returns it with its secret text (shown once, stored only hashed).
    /// Refuses a name already taken or an invalid app name.
    public func add(name: String, apps: [String], readOnly: Bool) async throws -> (token: APIToken, secret: String) {
        _ = try KeyName.validate(name)
        for app in apps { try AppName.validate(app) }
        let secret = APIToken.makeSecret()
        let token = APIToken(name: name, sha256: APIToken.hash(secret), apps: Array(Set(apps)).sorted(), readOnly: readOnly, createdAt: Date())
        try await change { tokens in
            if tokens.contains(where: { $0.name == name }) {
                throw RikerError(.alreadyExists, "a token named \(name) exists: remove it first with tokens:remove \(name)")
            }
            tokens.append(token)
        }
        return (token, secret)
    }

    /// Removes a token; throws `.notFound` if there is none by that name.
    public func remove(name: String) async throws {
        _ = try KeyName.validate(name)
        try await change { tokens in
            guard let i = tokens.firstIndex(where: { $0.name == name }) else {
                throw RikerError(.notFound, "no token named \(name): see tokens:list")
            }
            tokens.remove(at: i)
        }
    }

    /// The token whose hash matches `secret`, or nil. Every stored hash is compared, each
    /// in constant time, so the answer's timing does not depend on which one matched.
    public func verify(_ secret: String) async throws -> APIToken? {
        let presented = APIToken.hash(secret)
        var found: APIToken?
        for token in try await load() where APIToken.digestsEqual(token.sha256, presented) && found == nil { found = token }
        return found
    }

    /// Reads the tokens, applies `edit` and writes them back only if nobody changed them in
    /// between; on a conflict, reads again and retries. `edit` throwing changes nothing.
    func change(_ edit: (inout [APIToken]) throws -> Void) async throws {
        for _ in 0..<50 {
            let obj = try await store.get(StoreLayout.tokens)
            var tokens = try obj.map { try Self.decode($0.data) } ?? []
            try edit(&tokens)
            let data = try JSONCoding.encode(tokens.sorted { $0.name < $1.name })
            do {
                try await store.put(StoreLayout.tokens, data, condition: obj.map { .ifMatch($0.etag) } ?? .ifAbsent)
                return
            } catch let e as RikerError where e.code == .preconditionFailed {
                try await Task.sleep(nanoseconds: UInt64.random(in: 10_000_000...100_000_000))
            }
        }
        throw RikerError(.locked, "the API tokens kept changing under this change: try again")
    }
}
