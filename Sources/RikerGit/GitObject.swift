import CGit2

/// Owns a `git_object` (a commit, tree or blob looked up in a repository) and frees it.
/// Keeps its repository alive, since libgit2 objects borrow the repository.
final class GitObject {
    let pointer: OpaquePointer
    private let repository: GitRepository

    init(_ pointer: OpaquePointer, repository: GitRepository) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit { git_object_free(pointer) }

    var type: git_object_t { git_object_type(pointer) }

    /// The object's full hex id.
    var id: String { git_object_id(pointer).pointee.hex }

    /// This object peeled to `type` (a tag to its commit, a commit to its tree).
    func peel(to type: git_object_t, _ what: @autoclosure () -> String) throws -> GitObject {
        var out: OpaquePointer?
        try gitCheck(git_object_peel(&out, pointer, type), what())
        return GitObject(out!, repository: repository)
    }
}
