import CGit2

/// Owns a repository's object database handle (`git_odb`), which must be released on its own.
final class GitOdb {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_odb_free(pointer) }

    /// Adds an objects directory (loose objects and packs) that lookups also search.
    func addDiskAlternate(_ path: String) throws {
        try gitCheck(git_odb_add_disk_alternate(pointer, path), "cannot add object directory \(path)")
    }
}
