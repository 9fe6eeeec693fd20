import CArchive
import Foundation
import RikerCore

/// Extracts a slug into a new directory that only appears once every entry was accepted
/// and written: extraction goes to `DIR.partial-XXXXXX`, renamed to `DIR` at the end.
enum SlugUnpacker {
    static let blockSize = 1 << 20

    /// libarchive's own guards, on top of ours: no `..`, no absolute paths, never write
    /// through a symlink. Permissions and times are restored, owners are not. Blocks of zeros
    /// become holes, so a sparse file packed in full stays sparse on the instance.
    static let diskOptions = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS
        | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SPARSE

    static func unpack(_ file: URL, into directory: URL, maxBytes: Int64) throws {
        let target = directory.standardizedFileURL
        if FileManager.default.fileExists(atPath: target.path) || (try? FileManager.default.destinationOfSymbolicLink(atPath: target.path)) != nil {
            throw RikerError(.alreadyExists, "cannot unpack slug into \(target.path): it already exists")
        }
        let parent = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        var template = Array("\(target.path).partial-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw RikerError.posix("cannot create", path: "\(target.path).partial-XXXXXX") }
        let partial = String(cString: template)
        do {
            try onThreadInDirectory(partial) { try extract(file, maxBytes: maxBytes) }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        guard rename(partial, target.path) == 0 else {
            let failure = RikerError.posix("cannot move unpacked slug into place at", path: target.path)
            try? FileManager.default.removeItem(atPath: partial)
            throw failure
        }
    }

    /// Reads every entry of `file`, checks it, and writes it relative to the current directory
    /// (which is the calling thread's own: see `onThreadInDirectory`). Stops at the first entry
    /// that takes the sizes past `maxBytes`, before writing any of it.
    private static func extract(_ file: URL, maxBytes: Int64) throws {
        let reader = try ArchiveHandle(.read)
        try reader.check(archive_read_support_filter_all(reader.pointer), "cannot enable slug decompression")
        try reader.check(archive_read_support_format_tar(reader.pointer), "cannot enable tar reading")
        try reader.check(archive_read_support_format_empty(reader.pointer), "cannot enable tar reading")
        try reader.check(archive_read_open_filename(reader.pointer, file.path, blockSize), "cannot open slug \(file.path)")

        let disk = try ArchiveHandle(.writeDisk)
        try disk.check(archive_write_disk_set_options(disk.pointer, diskOptions), "cannot set extraction options")
        var guardrail = SlugEntryGuard()
        var total: Int64 = 0
        while true {
            var header: OpaquePointer?
            let status = archive_read_next_header(reader.pointer, &header)
            if status == ArchiveStatus.eof { break }
            try reader.check(status, "cannot read slug \(file.path)")
            guard let entry = header else { break }
            try guardrail.admit(entry)
            // A sparse entry's size is its full apparent size, whatever its archive holds.
            let size = max(0, archive_entry_size(entry))
            total += size
            if total > maxBytes {
                throw RikerError(.archive, "refusing slug entry '\(entryName(entry))' (\(humanSize(size))): the slug unpacks to more than "
                    + "its \(humanSize(maxBytes)) cap (the unpacked size its release records)")
            }
            try disk.check(archive_write_header(disk.pointer, entry), "cannot unpack '\(entryName(entry))' from slug \(file.path)")
            if size > 0 {
                try copyData(from: reader, to: disk, name: entryName(entry), size: size, file: file)
            }
            try disk.check(archive_write_finish_entry(disk.pointer), "cannot unpack '\(entryName(entry))' from slug \(file.path)")
        }
        // Closing applies deferred directory permissions and times.
        try disk.check(archive_write_close(disk.pointer), "cannot finish unpacking slug \(file.path)")
    }

    /// Copies the current entry's data blocks (at their offsets: holes stay holes), refusing
    /// any block that reaches past the entry's declared size.
    private static func copyData(from reader: ArchiveHandle, to disk: ArchiveHandle, name: String, size entrySize: Int64, file: URL) throws {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        while true {
            let status = archive_read_data_block(reader.pointer, &block, &size, &offset)
            if status == ArchiveStatus.eof { return }
            try reader.check(status, "cannot read '\(name)' from slug \(file.path)")
            guard offset >= 0, offset <= entrySize, Int64(size) <= entrySize - offset else {
                throw RikerError(.archive, "refusing slug entry '\(name)': its data reaches past its declared \(humanSize(entrySize))")
            }
            let written = archive_write_data_block(disk.pointer, block, size, offset)
            if written < ArchiveStatus.warn { try disk.check(Int32(written), "cannot write '\(name)' from slug \(file.path)") }
        }
    }

    static func entryName(_ entry: OpaquePointer) -> String {
        archive_entry_pathname(entry).map { String(cString: $0) } ?? "?"
    }

    /// Runs `body` on a new thread whose current directory is `directory` and is its own
    /// (the process's current directory, which other threads use, never moves).
    private static func onThreadInDirectory(_ directory: String, _ body: @escaping () throws -> Void) throws {
        final class Outcome { var error: Error? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            guard riker_archive_enter_private_cwd(directory) == 0 else {
                outcome.error = RikerError.posix("cannot enter", path: directory)
                return
            }
            do { try body() } catch { outcome.error = error }
        }
        thread.stackSize = 1 << 22
        thread.start()
        done.wait()
        if let error = outcome.error { throw error }
    }
}
