import Foundation
import RikerCore

extension RikerPaths {
    /// API tokens (hashes, app lists, read-only flags), mode 0600.
    public var tokensFile: URL { root.appendingPathComponent("tokens.json") }
}

/// The API tokens of this server (`ROOT/tokens.json`): added, listed, removed, and checked
/// against a presented bearer token.
///
/// Only SHA-256 hashes are kept; a token's text is shown once, by `add`. Changes hold
/// `ROOT/.lock` and rewrite the file atomically with mode 0600; a refused change leaves it
/// untouched. The file is read on every check (it is small) and decoded again only when its
/// bytes changed, so `tokens:add` and `tokens:remove` take effect on a running `riker serve`
/// at its next request.
public final class TokenRing: @unchecked Sendable {
    public let paths: RikerPaths
    private let lock = NSLock()
    private var cached: (data: Data, tokens: [APIToken])?

    public init(paths: RikerPaths) { self.paths = paths }

    public func load() throws -> [APIToken] {
        guard let data = try AtomicFile.read(paths.tokensFile) else { return [] }
        if let cached = lock.withLock({ cached }), cached.data == data { return cached.tokens }
        let tokens = try JSONCoding.decode([APIToken].self, from: data, what: paths.tokensFile.path)
        lock.withLock { cached = (data, tokens) }
        return tokens
    }

    /// Creates a token and returns it with its secret text (shown once, stored only hashed).
    /// Refuses a name already taken or an invalid app name.
    public func add(name: String, apps: [String], readOnly: Bool) throws -> (token: APIToken, secret: String) {
        try KeyName.validate(name)
        for app in apps { try AppName.validate(app) }
        return try FileLock.withLock(paths.rootLock) {
            var tokens = try load()
            if tokens.contains(where: { $0.name == name }) {
                throw RikerError(.alreadyExists, "a token named \(name) exists: remove it first with tokens:remove \(name)")
            }
            let secret = APIToken.makeSecret()
            let token = APIToken(name: name, sha256: APIToken.hash(secret), apps: Array(Set(apps)).sorted(), readOnly: readOnly, createdAt: Date())
            tokens.append(token)
            try save(tokens)
            return (token, secret)
        }
    }

    /// Removes a token; throws `.notFound` if there is none by that name.
    public func remove(name: String) throws {
        try KeyName.validate(name)
        try FileLock.withLock(paths.rootLock) {
            var tokens = try load()
            guard let i = tokens.firstIndex(where: { $0.name == name }) else {
                throw RikerError(.notFound, "no token named \(name): see tokens:list")
            }
            tokens.remove(at: i)
            try save(tokens)
        }
    }

    /// The token whose hash matches `secret`, or nil. Every stored hash is compared, each
    /// in constant time, so the answer's timing does not depend on which one matched.
    public func verify(_ secret: String) throws -> APIToken? {
        let presented = APIToken.hash(secret)
        var found: APIToken?
        for token in try load() where APIToken.digestsEqual(token.sha256, presented) && found == nil { found = token }
        return found
    }

    func save(_ tokens: [APIToken]) throws {
        try AtomicFile.write(try JSONCoding.encode(tokens.sorted { $0.name < $1.name }), to: paths.tokensFile, mode: 0o600)
    }
}
