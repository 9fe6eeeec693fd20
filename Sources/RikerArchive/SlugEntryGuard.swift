import CArchive
import Foundation
import RikerCore

/// Our own checks on each slug entry before libarchive writes it, so a hostile slug cannot
/// write, link or point outside the directory it is unpacked into.
struct SlugEntryGuard {
    /// Paths (normalized) extracted as symlinks so far: nothing may be written through them
    /// or hard-linked to them.
    private var symlinks = Set<String>()

    /// Throws `RikerError(.archive, "refusing slug entry '…': reason")` for an entry with an
    /// absolute path or `..`, a path through an earlier symlink, a hard link whose target is
    /// such a path or a symlink, a symlink pointing outside, or a device, fifo or socket.
    mutating func admit(_ entry: OpaquePointer) throws {
        guard let rawName = archive_entry_pathname(entry) else {
            throw RikerError(.archive, "refusing slug entry without a readable path")
        }
        let name = String(cString: rawName)
        func refuse(_ reason: String) -> RikerError {
            RikerError(.archive, "refusing slug entry '\(name)': \(reason)")
        }
        let path = try normalizedPath(name, refuse)
        if path.isEmpty {
            // `./`, as GNU tar writes first: fine as the top directory itself, nothing else.
            let isDirectory = archive_entry_hardlink(entry) == nil && archive_entry_filetype(entry) & FileType.mask == FileType.directory
            if isDirectory { return }
            throw refuse("only a directory may name the top directory")
        }

        if let rawTarget = archive_entry_hardlink(entry) {
            let target = String(cString: rawTarget)
            let targetPath = try normalizedPath(target) { refuse("hard link to '\(target)': \($0)") }
            if targetPath.isEmpty { throw refuse("hard link to the top directory") }
            if symlinks.contains(targetPath.joined(separator: "/")) { throw refuse("hard link to symlink '\(target)'") }
        } else {
            switch archive_entry_filetype(entry) & FileType.mask {
            case FileType.regular, FileType.directory:
                break
            case FileType.symlink:
                let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                if let escape = SlugPath.symlinkEscape(linkPath: path, target: target) { throw refuse(escape.reason) }
                symlinks.insert(path.joined(separator: "/"))
                return
            default:
                throw refuse("device, fifo or socket entries are not allowed")
            }
        }
        symlinks.remove(path.joined(separator: "/"))
    }

    /// The path's components, refusing absolute paths, `..` and paths through a symlink.
    private func normalizedPath(_ path: String, _ refuse: (String) -> RikerError) throws -> [Substring] {
        let parts: [Substring]
        switch SlugPath.components(of: path) {
        case .success(let components): parts = components
        case .failure(let refusal): throw refuse(refusal.reason)
        }
        var prefix = ""
        for part in parts.dropLast() {
            prefix += prefix.isEmpty ? String(part) : "/" + part
            if symlinks.contains(prefix) { throw refuse("goes through symlink '\(prefix)'") }
        }
        return parts
    }
}
