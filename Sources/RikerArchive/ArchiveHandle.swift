import CArchive
import RikerCore

/// libarchive's status codes (`ARCHIVE_OK`, …) as we use them.
enum ArchiveStatus {
    static let eof: Int32 = 1
    static let ok: Int32 = 0
    static let warn: Int32 = -20
}

/// Owns a `struct archive` — a reader, a writer or a disk writer — and frees it in `deinit`.
/// Every libarchive call on it goes through `check`, which turns a failure into
/// `RikerError(.archive, …)` with libarchive's own message.
final class ArchiveHandle {
    enum Kind { case read, write, writeDisk }

    let pointer: OpaquePointer
    let kind: Kind

    init(_ kind: Kind) throws {
        let created: OpaquePointer?
        switch kind {
        case .read: created = archive_read_new()
        case .write: created = archive_write_new()
        case .writeDisk: created = archive_write_disk_new()
        }
        guard let created else { throw RikerError(.archive, "libarchive could not allocate an archive handle (out of memory)") }
        pointer = created
        self.kind = kind
    }

    deinit {
        switch kind {
        case .read: archive_read_free(pointer)
        case .write, .writeDisk: archive_write_free(pointer)
        }
    }

    /// Returns `status` if it is a success or a warning; throws for anything worse.
    @discardableResult
    func check(_ status: Int32, _ what: @autoclosure () -> String) throws -> Int32 {
        guard status < ArchiveStatus.warn else { return status }
        throw RikerError(.archive, "\(what()): \(errorMessage)")
    }

    /// libarchive's description of the last failure on this handle.
    var errorMessage: String {
        guard let text = archive_error_string(pointer) else { return "libarchive error \(archive_errno(pointer))" }
        return String(cString: text)
    }
}

/// Owns a `struct archive_entry` (one tar header being built or read) and frees it.
final class ArchiveEntry {
    let pointer: OpaquePointer

    init() throws {
        guard let created = archive_entry_new() else { throw RikerError(.archive, "libarchive could not allocate an entry (out of memory)") }
        pointer = created
    }

    deinit { archive_entry_free(pointer) }
}

/// File type bits of a mode (`AE_IFREG` and friends are casts in C, which Swift does not import).
enum FileType {
    static let mask: mode_t = 0o170000
    static let regular: mode_t = 0o100000
    static let directory: mode_t = 0o040000
    static let symlink: mode_t = 0o120000
}
