import Crypto
import Foundation
import RikerCore

/// An ed25519 SSH key pair for fetching one app's repository (a GitHub deploy key).
///
/// The private key is in OpenSSH's own format, unencrypted, as `ssh-keygen -t ed25519 -N ''`
/// writes it: libgit2/libssh2 and `ssh -i` read it. `description` never shows it.
public struct DeployKey: Sendable, Equatable, CustomStringConvertible {
    /// `-----BEGIN OPENSSH PRIVATE KEY-----` … `-----END OPENSSH PRIVATE KEY-----\n`.
    public let privateKey: String
    /// `ssh-ed25519 AAAA… COMMENT`: what to add to the repository's deploy keys.
    public let publicKey: String

    /// A new random key pair whose public half ends in `comment` (`riker-APP`).
    public static func generate(comment: String) -> DeployKey {
        DeployKey(Curve25519.Signing.PrivateKey(), comment: comment)
    }

    /// Reads back an unencrypted ed25519 private key in OpenSSH format (one `generate` wrote,
    /// or `ssh-keygen -t ed25519 -N ''`). Throws `.invalidInput` for anything else, without
    /// quoting the key.
    public init(privateKey text: String) throws {
        let (seed, comment) = try OpenSSHKeyFormat.decodeEd25519(text)
        let key: Curve25519.Signing.PrivateKey
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch {
            throw RikerError(.invalidInput, "the deploy key is not a valid ed25519 private key")
        }
        self.init(key, comment: comment)
    }

    init(_ key: Curve25519.Signing.PrivateKey, comment: String) {
        let publicBytes = key.publicKey.rawRepresentation
        privateKey = OpenSSHKeyFormat.encodeEd25519(seed: key.rawRepresentation, publicKey: publicBytes, comment: comment)
        let blob = OpenSSHKeyFormat.publicBlob(publicBytes)
        publicKey = "ssh-ed25519 \(blob.base64EncodedString())" + (comment.isEmpty ? "" : " \(comment)")
        fingerprint = "SHA256:" + Data(SHA256.hash(data: blob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// `SHA256:…`, as `ssh-keygen -l` and GitHub's deploy key page show it.
    public let fingerprint: String

    public var description: String { "deploy key \(fingerprint)" }
}

/// OpenSSH's private key container (`openssh-key-v1`, PROTOCOL.key), for unencrypted ed25519 keys.
enum OpenSSHKeyFormat {
    static let magic = Data("openssh-key-v1\0".utf8)
    static let begin = "-----BEGIN OPENSSH PRIVATE KEY-----"
    static let end = "-----END OPENSSH PRIVATE KEY-----"

    /// The public key in SSH wire form: string "ssh-ed25519", string key.
    static func publicBlob(_ publicKey: Data) -> Data {
        var out = Data()
        out.appendSSHString(Data("ssh-ed25519".utf8))
        out.appendSSHString(publicKey)
        return out
    }

    static func encodeEd25519(seed: Data, publicKey: Data, comment: String) -> String {
        let check = UInt32.random(in: .min ... .max)
        var secret = Data()
        secret.appendUInt32(check)
        secret.appendUInt32(check)
        secret.appendSSHString(Data("ssh-ed25519".utf8))
        secret.appendSSHString(publicKey)
        secret.appendSSHString(seed + publicKey)
        secret.appendSSHString(Data(comment.utf8))
        var pad: UInt8 = 1
        while secret.count % 8 != 0 { secret.append(pad); pad += 1 }

        var body = magic
        body.appendSSHString(Data("none".utf8))  // cipher
        body.appendSSHString(Data("none".utf8))  // kdf
        body.appendSSHString(Data())             // kdf options
        body.appendUInt32(1)                     // one key
        body.appendSSHString(publicBlob(publicKey))
        body.appendSSHString(secret)

        let base64 = body.base64EncodedString()
        var lines = [begin]
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 70, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append(end)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The 32-byte seed and the comment of an unencrypted ed25519 key.
    static func decodeEd25519(_ text: String) throws -> (seed: Data, comment: String) {
        func bad(_ why: String) -> RikerError { RikerError(.invalidInput, "the deploy key is not usable: \(why)") }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.firstIndex(of: begin), let last = lines.firstIndex(of: end), first < last else {
            throw bad("expected an OpenSSH private key (\(begin))")
        }
        guard let body = Data(base64Encoded: lines[(first + 1)..<last].joined()), body.starts(with: magic) else {
            throw bad("its OpenSSH key data is damaged")
        }
        var reader = SSHReader(body.dropFirst(magic.count))
        guard let cipher = reader.string(), let kdf = reader.string(), reader.string() != nil, let count = reader.uint32() else {
            throw bad("its OpenSSH key data is damaged")
        }
        guard cipher == Data("none".utf8), kdf == Data("none".utf8) else { throw bad("it is encrypted with a passphrase") }
        guard count == 1, reader.string() != nil, let secret = reader.string() else { throw bad("it must hold exactly one key") }
        var s = SSHReader(secret)
        guard let c1 = s.uint32(), let c2 = s.uint32(), c1 == c2 else { throw bad("its OpenSSH key data is damaged") }
        guard let type = s.string(), type == Data("ssh-ed25519".utf8) else { throw bad("only ed25519 keys are supported") }
        guard let pub = s.string(), pub.count == 32, let pair = s.string(), pair.count == 64, pair.suffix(32) == pub,
              let comment = s.string() else { throw bad("its ed25519 key data is damaged") }
        return (Data(pair.prefix(32)), String(decoding: comment, as: UTF8.self))
    }
}

/// Reads SSH wire-format fields (uint32, length-prefixed string) from a byte buffer.
struct SSHReader {
    private var bytes: [UInt8]
    private var offset = 0

    init<D: Collection>(_ data: D) where D.Element == UInt8 { bytes = Array(data) }

    mutating func uint32() -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        defer { offset += 4 }
        return bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func string() -> Data? {
        guard let n = uint32(), Int(n) <= bytes.count - offset else { return nil }
        defer { offset += Int(n) }
        return Data(bytes[offset..<(offset + Int(n))])
    }
}

fileprivate extension Data {
    mutating func appendUInt32(_ v: UInt32) {
        append(contentsOf: [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)])
    }

    mutating func appendSSHString(_ s: Data) {
        appendUInt32(UInt32(s.count))
        append(s)
    }
}
