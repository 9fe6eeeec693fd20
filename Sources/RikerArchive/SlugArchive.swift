import Foundation
import RikerCore

/// How a slug's tar stream is compressed.
public enum SlugCompression: String, Sendable {
    case zstd, gzip
    /// File extension of a slug with this compression (`tar.zst`, `tar.gz`).
    public var fileExtension: String { self == .zstd ? "tar.zst" : "tar.gz" }
}

/// A slug written to disk, with what a release records about it.
public struct PackedSlug: Sendable, Equatable {
    public var file: URL
    /// Lowercase hex SHA-256 of the file's bytes.
    public var sha256: String
    /// The file's size in bytes.
    public var size: Int64
    public var compression: SlugCompression
}

/// Slugs: deterministic tar archives of a built app directory, written and read with libarchive.
public enum SlugArchive {
    /// Packs `directory` into `file`: entries sorted by path, relative, fixed owner and mtime,
    /// `.git` excluded and anything `exclude` returns true for (relative path). Returns the SHA-256.
    ///
    /// The same directory always gives the same bytes: entries are sorted bytewise by path,
    /// owned by 0:0 with no user or group names, dated 2000-01-01, and keep only their
    /// permission bits. `exclude` sees paths like `tmp/cache`; excluding a directory skips
    /// everything under it. A `.git` file or directory at any depth is left out. Sockets, fifos
    /// and devices are skipped. `file` appears complete or not at all (written next to it, then
    /// renamed). Throws `RikerError(.archive)` for a symlink that is absolute or points outside
    /// `directory` (the agent would refuse the slug), `.io` for unreadable files.
    public static func pack(directory: URL, to file: URL, compression: SlugCompression = .zstd,
                            exclude: (String) -> Bool = { _ in false }) throws -> PackedSlug {
        try SlugPacker.pack(directory: directory, to: file, compression: compression, exclude: exclude)
    }

    /// Unpacks a slug (zstd or gzip, detected) into `directory`, refusing absolute paths, `..`,
    /// links that point outside, device files; a refused archive leaves `directory` absent.
    ///
    /// `directory` must not exist yet (`RikerError(.alreadyExists)`); its parents are created.
    /// Entries are extracted into `directory.partial-XXXXXX` next to it, renamed into place once
    /// all succeeded. A refused entry throws `RikerError(.archive, "refusing slug entry '…': reason")`
    /// and removes everything extracted so far. Permissions are restored, owners are not.
    public static func unpack(_ file: URL, into directory: URL) throws {
        try SlugUnpacker.unpack(file, into: directory)
    }

    /// Hex SHA-256 of a file, streamed.
    public static func sha256(of file: URL) throws -> String {
        try FileDigest.sha256(of: file).hex
    }
}
