import Foundation

/// A content address as OCI writes it: `sha256:` then 64 lowercase hex digits.
///
/// Image blobs (layers, configs, manifests) are named by it in the store
/// (`apps/APP/blobs/sha256/HEX`) and on disk (`blobs/sha256/HEX`), so a digest that is not
/// exactly this shape is refused before it can become a path.
public struct ContentDigest: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Accepts 64 hex digits (any case); nil for anything else.
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        self.hex = lower
    }

    /// Parses `sha256:HEX`. Throws `.invalidInput` naming the text for any other algorithm or shape.
    public init(parsing text: String) throws {
        guard text.hasPrefix("sha256:"), let d = ContentDigest(hex: String(text.dropFirst(7))) else {
            throw RikerError(.invalidInput, "'\(text.prefix(80))' is not a sha256 content digest")
        }
        self = d
    }

    public var description: String { "sha256:" + hex }

    public static func < (a: ContentDigest, b: ContentDigest) -> Bool { a.hex < b.hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try ContentDigest(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.userMessage))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
