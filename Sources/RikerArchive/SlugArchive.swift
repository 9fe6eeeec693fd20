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
    /// What the slug's files add up to unpacked (apparent sizes): the cap the agent unpacks it with.
    public var unpackedSize: Int64

    public init(file: URL, sha256: String, size: Int64, compression: SlugCompression, unpackedSize: Int64) {
        self.file = file; self.sha256 = sha256; self.size = size; self.compression = compression; self.unpackedSize = unpackedSize
    }
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
    ///
    /// `limits` caps what the files add up to (apparent sizes, so a sparse file counts in full),
    /// checked from the directory walk before any file is read: over the cap throws
    /// `RikerError(.archive, "slug is 10.0G unpacked, over …")`. Past `limits.deadline`, packing
    /// stops with `RikerError(.timeout)`. Either way no file is left behind.
    public static func pack(directory: URL, to file: URL, compression: SlugCompression = .zstd,
                            exclude: (String) -> Bool = { _ in false }, limits: SlugLimits = .none) throws -> PackedSlug {
        try SlugPacker.pack(directory: directory, to: file, compression: compression, exclude: exclude, limits: limits)
    }

    /// Packs the entries of `tree` (a whole slug or one layer of it) as `pack(directory:…)`
    /// does: same format, same determinism, so the same entries give the same bytes. The size
    /// cap was checked by `SlugTree.scan`; `limits` gives the deadline.
    public static func pack(_ tree: SlugTree, to file: URL, compression: SlugCompression = .zstd, limits: SlugLimits = .none) throws -> PackedSlug {
        try SlugPacker.pack(tree, to: file, compression: compression, limits: limits)
    }

    /// Unpacks a slug (zstd or gzip, detected) into `directory`, refusing absolute paths, `..`,
    /// links that point outside, device files; a refused archive leaves `directory` absent.
    ///
    /// `directory` must not exist yet (`RikerError(.alreadyExists)`); its parents are created.
    /// Entries are extracted into `directory.partial-XXXXXX` next to it, renamed into place once
    /// all succeeded. A refused entry throws `RikerError(.archive, "refusing slug entry '…': reason")`
    /// and removes everything extracted so far. Permissions are restored, owners are not.
    ///
    /// The entries' sizes may add up to `maxBytes` at most (a release records its slug's
    /// unpacked size; `SlugLimits.defaultMaxBytes` when it does not): the entry that would pass
    /// it is refused from its header, before any of its data is written, so a slug holding a
    /// huge (sparse) file costs nothing. Runs of zeros are written as holes.
    public static func unpack(_ file: URL, into directory: URL, maxBytes: Int64 = SlugLimits.defaultMaxBytes) throws {
        try SlugUnpacker.unpack(file, into: directory, maxBytes: maxBytes)
    }

    /// Hex SHA-256 of a file, streamed.
    public static func sha256(of file: URL) throws -> String {
        try FileDigest.sha256(of: file).hex
    }
}
