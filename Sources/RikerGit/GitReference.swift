import CGit2

/// Owns a `git_reference` and frees it.
final class GitReference {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_reference_free(pointer) }
}
