import CArchive
import Foundation
import RikerCore

/// Writes a slug: the sorted entries of an app directory as a pax (ustar where possible) tar
/// stream with fixed owner and time, compressed, hashed on the way to disk.
enum SlugPacker {
    /// Every entry's modification time: 2000-01-01T00:00:00Z. A constant keeps slugs
    /// byte-identical across builds; not zero, since some tools refuse times before 1980 (zip).
    static let modificationTime = 946_684_800
    /// zstd level: 3 is zstd's own default, several times faster than gzip at a better ratio.
    static let zstdLevel = "3"
    static let bufferSize = 1 << 20

    static func pack(directory: URL, to file: URL, compression: SlugCompression, exclude: (String) -> Bool,
                     limits: SlugLimits) throws -> PackedSlug {
        try pack(SlugTree.scan(directory, exclude: exclude, limits: limits), to: file, compression: compression, limits: limits)
    }

    /// Packs the entries of `tree` (already walked and checked against the size cap).
    static func pack(_ tree: SlugTree, to file: URL, compression: SlugCompression, limits: SlugLimits) throws -> PackedSlug {
        try limits.checkDeadline()
        let folder = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(file.lastPathComponent).partial-\(UUID().uuidString.prefix(8))").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RikerError.posix("cannot create slug", path: temporary) }
        let sink = HashingFileSink(fd: fd, path: file.path)
        do {
            try write(tree.entries, from: tree.root, compression: compression, to: sink, limits: limits)
            guard close(fd) == 0 else { throw RikerError.posix("cannot write slug", path: file.path) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, file.path) == 0 else {
            let failure = RikerError.posix("cannot move slug into place at", path: file.path)
            unlink(temporary)
            throw failure
        }
        return PackedSlug(file: file, sha256: sink.hexDigest(), size: sink.byteCount, compression: compression, unpackedSize: tree.unpackedSize)
    }

    private static func write(_ entries: [SlugSourceEntry], from root: URL, compression: SlugCompression, to sink: HashingFileSink,
                              limits: SlugLimits) throws {
        let archive = try ArchiveHandle(.write)
        let a = archive.pointer
        try archive.check(archive_write_set_format_pax_restricted(a), "cannot set slug format")
        switch compression {
        case .zstd:
            try archive.check(archive_write_add_filter_zstd(a), "cannot enable zstd compression")
            try archive.check(archive_write_set_filter_option(a, "zstd", "compression-level", zstdLevel), "cannot set zstd level")
        case .gzip:
            try archive.check(archive_write_add_filter_gzip(a), "cannot enable gzip compression")
            // No timestamp in the gzip header, or the same input would give different bytes.
            try archive.check(archive_write_set_filter_option(a, "gzip", "timestamp", nil), "cannot turn off gzip timestamps")
        }
        try archive.check(archive_write_set_bytes_per_block(a, Int32(bufferSize)), "cannot set slug block size")
        try archive.check(archive_write_set_bytes_in_last_block(a, 1), "cannot set slug block size")
        let status = withExtendedLifetime(sink) {
            archive_write_open(a, Unmanaged.passUnretained(sink).toOpaque(), nil, HashingFileSink.archiveWriteCallback, nil)
        }
        try check(status, archive, sink, "cannot start slug \(sink.path)")

        let entry = try ArchiveEntry()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        try withExtendedLifetime(sink) {
            for item in entries {
                try writeEntry(item, root: root, entry: entry, archive: archive, sink: sink, buffer: buffer, limits: limits)
            }
            try check(archive_write_close(a), archive, sink, "cannot finish slug \(sink.path)")
        }
    }

    private static func writeEntry(_ item: SlugSourceEntry, root: URL, entry: ArchiveEntry, archive: ArchiveHandle,
                                   sink: HashingFileSink, buffer: UnsafeMutableRawBufferPointer, limits: SlugLimits) throws {
        let e = entry.pointer
        archive_entry_clear(e)
        archive_entry_copy_pathname(e, item.path)
        archive_entry_set_mtime(e, modificationTime, 0)
        archive_entry_set_uid(e, 0)
        archive_entry_set_gid(e, 0)
        archive_entry_set_perm(e, item.permissions)
        switch item.kind {
        case .directory:
            archive_entry_set_filetype(e, FileType.directory)
        case .symlink(let target):
            archive_entry_set_filetype(e, FileType.symlink)
            archive_entry_copy_symlink(e, target)
        case .file(let size):
            archive_entry_set_filetype(e, FileType.regular)
            archive_entry_set_size(e, size)
        }
        try check(archive_write_header(archive.pointer, e), archive, sink, "cannot add '\(item.path)' to slug")
        if case .file(let size) = item.kind, size > 0 {
            try copyFile(root.appendingPathComponent(item.path).path, size: size, archive: archive, sink: sink, buffer: buffer, limits: limits)
        }
    }

    /// Streams a file into the current entry, a buffer at a time, checking the deadline between buffers.
    private static func copyFile(_ path: String, size: Int64, archive: ArchiveHandle, sink: HashingFileSink,
                                 buffer: UnsafeMutableRawBufferPointer, limits: SlugLimits) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw RikerError.posix("cannot read", path: path) }
        defer { close(fd) }
        var remaining = size
        while remaining > 0 {
            try limits.checkDeadline()
            let n = read(fd, buffer.baseAddress, min(buffer.count, Int(clamping: remaining)))
            if n < 0 {
                if errno == EINTR { continue }
                throw RikerError.posix("cannot read", path: path)
            }
            if n == 0 { break }
            let written = archive_write_data(archive.pointer, buffer.baseAddress, n)
            if written < 0 { try check(Int32(written), archive, sink, "cannot add \(path) to slug") }
            remaining -= Int64(n)
        }
        if remaining != 0 {
            throw RikerError(.archive, "cannot pack \(path): it changed size while being packed")
        }
    }

    /// A libarchive failure, or the write failure behind it when the sink saw one.
    private static func check(_ status: Int32, _ archive: ArchiveHandle, _ sink: HashingFileSink, _ what: String) throws {
        guard status < ArchiveStatus.warn else { return }
        if let failure = sink.failure { throw failure }
        try archive.check(status, what)
    }
}
