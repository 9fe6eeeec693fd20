import CArchive
import Foundation
import RikerCore

// CONTRACT (filled in by the RikerArchive work): signatures other modules rely on.

public enum SlugCompression: String, Sendable {
    case zstd, gzip
    /// File extension of a slug with this compression (`tar.zst`, `tar.gz`).
    public var fileExtension: String { self == .zstd ? "tar.zst" : "tar.gz" }
}

public struct PackedSlug: Sendable, Equatable {
    public var file: URL
    public var sha256: String
    public var size: Int64
    public var compression: SlugCompression
}

/// Slugs: deterministic tar archives of a built app directory, written and read with libarchive.
public enum SlugArchive {
    /// Packs `directory` into `file`: entries sorted by path, relative, fixed owner and mtime,
    /// `.git` excluded and anything `exclude` returns true for (relative path). Returns the SHA-256.
    public static func pack(directory: URL, to file: URL, compression: SlugCompression = .zstd,
                            exclude: (String) -> Bool = { _ in false }) throws -> PackedSlug {
        throw RikerError(.archive, "not implemented")
    }

    /// Unpacks a slug (zstd or gzip, detected) into `directory`, refusing absolute paths, `..`,
    /// links that point outside, device files; a refused archive leaves `directory` absent.
    public static func unpack(_ file: URL, into directory: URL) throws { throw RikerError(.archive, "not implemented") }

    /// Hex SHA-256 of a file, streamed.
    public static func sha256(of file: URL) throws -> String { throw RikerError(.archive, "not implemented") }
}
