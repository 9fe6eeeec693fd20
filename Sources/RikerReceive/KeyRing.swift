import Crypto
import Foundation
import RikerCore

/// One registered SSH public key and what it may do.
public struct SSHKey: Codable, Sendable, Equatable {
    public var name: String
    /// `TYPE BASE64` (no comment).
    public var publicKey: String
    public var admin: Bool
    /// Apps a non-admin key may push to and manage.
    public var apps: [String]
    public var addedAt: Date

    enum CodingKeys: String, CodingKey {
        case name, admin, apps
        case publicKey = "public_key"
        case addedAt = "added_at"
    }

    /// `SHA256:…` fingerprint, as `ssh-keygen -lf` prints it.
    public var fingerprint: String {
        let parts = publicKey.split(separator: " ")
        guard parts.count >= 2, let blob = Data(base64Encoded: String(parts[1])) else { return "?" }
        return "SHA256:" + sha256Base64(blob)
    }
}

/// The registered keys (`ROOT/keys.json`) and the `authorized_keys` file generated from them.
///
/// Every change holds `ROOT/.lock`, rewrites both files atomically (temp + rename) and leaves
/// them untouched when the change is refused.
public struct KeyRing {
    public let paths: RikerPaths
    /// The `riker` executable that sshd's forced command runs.
    public let rikerBinary: String

    public init(paths: RikerPaths, rikerBinary: String) {
        self.paths = paths
        self.rikerBinary = rikerBinary
    }

    static let keyTypes: Set<String> = [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ]

    /// Checks an OpenSSH public key line and returns `TYPE BASE64` without the comment.
    public static func normalize(publicKey line: String) throws -> String {
        let parts = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, keyTypes.contains(String(parts[0])) else {
            throw RikerError(.invalidInput, "not an OpenSSH public key: expected a line like 'ssh-ed25519 AAAA… comment' on stdin")
        }
        guard let blob = Data(base64Encoded: String(parts[1])), blob.count > 16 else {
            throw RikerError(.invalidInput, "the public key's base64 data is damaged")
        }
        // The blob starts with the key type as an SSH string: check it matches.
        let typeLen = blob.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard typeLen == parts[0].utf8.count, blob.count > 4 + typeLen,
              String(decoding: blob.dropFirst(4).prefix(typeLen), as: UTF8.self) == parts[0] else {
            throw RikerError(.invalidInput, "the public key's data does not match its type \(parts[0])")
        }
        return "\(parts[0]) \(parts[1])"
    }

    public func load() throws -> [SSHKey] {
        guard let data = try AtomicFile.read(paths.keysFile) else { return [] }
        return try JSONCoding.decode([SSHKey].self, from: data, what: paths.keysFile.path)
    }

    public func key(named name: String) throws -> SSHKey? { try load().first { $0.name == name } }

    /// Registers a key. Refuses a name or a key that is already registered.
    @discardableResult
    public func add(name: String, publicKey: String, admin: Bool, apps: [String]) throws -> SSHKey {
        try KeyName.validate(name)
        for app in apps { try AppName.validate(app) }
        let normalized = try Self.normalize(publicKey: publicKey)
        return try FileLock.withLock(paths.rootLock) {
            var keys = try load()
            if keys.contains(where: { $0.name == name }) {
                throw RikerError(.alreadyExists, "a key named \(name) is already registered: remove it first with keys:remove \(name)")
            }
            if let other = keys.first(where: { $0.publicKey == normalized }) {
                throw RikerError(.alreadyExists, "this public key is already registered as \(other.name)")
            }
            let key = SSHKey(name: name, publicKey: normalized, admin: admin, apps: apps.sorted(), addedAt: Date())
            keys.append(key)
            try save(keys)
            return key
        }
    }

    /// Removes a key; throws `.notFound` if there is none by that name.
    public func remove(name: String) throws {
        try KeyName.validate(name)
        try FileLock.withLock(paths.rootLock) {
            var keys = try load()
            guard let idx = keys.firstIndex(where: { $0.name == name }) else {
                throw RikerError(.notFound, "no key named \(name): see keys:list")
            }
            keys.remove(at: idx)
            try save(keys)
        }
    }

    /// Writes keys.json, then authorized_keys, each atomically.
    func save(_ keys: [SSHKey]) throws {
        try AtomicFile.write(try JSONCoding.encode(keys.sorted { $0.name < $1.name }), to: paths.keysFile, mode: 0o600)
        try writeAuthorizedKeys(keys)
    }

    /// Regenerates `ROOT/.ssh/authorized_keys` (e.g. after the riker binary moved).
    public func writeAuthorizedKeys(_ keys: [SSHKey]) throws {
        guard !rikerBinary.contains("\""), !paths.root.path.contains("\""), !rikerBinary.contains(" "), !paths.root.path.contains(" ") else {
            throw RikerError(.invalidInput, "the riker binary and root paths must not contain spaces or quotes")
        }
        let lines = keys.sorted { $0.name < $1.name }.map {
            "command=\"\(rikerBinary) --root \(paths.root.path) ssh-command \($0.name)\",restrict \($0.publicKey) \($0.name)\n"
        }
        try FileManager.default.createDirectory(at: paths.sshDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFile.write(Data(lines.joined().utf8), to: paths.authorizedKeys, mode: 0o600)
    }
}

func sha256Base64(_ data: Data) -> String {
    // Fingerprints only; unpadded base64 like ssh-keygen.
    Data(SHA256.hash(data: data)).base64EncodedString().replacingOccurrences(of: "=", with: "")
}
