import CGit2
import Foundation
import RikerCore

extension GitRepository {
    /// Writes the tree of `commit` into `dir` (created if needed): files with their modes,
    /// symlinks, no `.git`. Submodules are skipped.
    ///
    /// Works on bare repositories and leaves the repository untouched (no index, no HEAD move).
    /// Files already in `dir` that the tree also has are overwritten; others are left alone.
    /// Throws `RikerError(.git)` for an unknown commit, and refuses a tree holding an entry name
    /// that could write outside `dir` (`..`, `.`, `/` inside a name, `.git`) before writing anything.
    public func checkout(commit: String, to dir: URL) throws {
        let commitObject = try commitObject(commit)
        let tree = try commitObject.peel(to: GIT_OBJECT_TREE, "cannot read the tree of commit \(commitObject.id)")
        try validateTree(tree, prefix: "", commit: commitObject.id)

        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var options = git_checkout_options()
        try gitCheck(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "cannot initialise checkout options")
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
            | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
        // Compare against an empty baseline: the target directory is not this repository's
        // work tree, so what HEAD holds says nothing about what is already there.
        let baseline = try emptyTree()
        options.baseline = baseline.pointer
        let target = dir.standardizedFileURL.path
        try withExtendedLifetime((baseline, tree)) {
            try target.withCString { targetPointer in
                options.target_directory = targetPointer
                _ = try gitCheck(git_checkout_tree(pointer, tree.pointer, &options),
                             "cannot check out commit \(commitObject.id) into \(target)")
            }
        }
    }

    /// The empty tree, which libgit2 knows without it being stored in the repository.
    private func emptyTree() throws -> GitObject {
        var oid = git_oid()
        try gitCheck(git_oid_fromstr(&oid, "4b825dc642cb6eb9a060e54bf8d69288fbee4904"), "invalid empty tree id")
        var out: OpaquePointer?
        try gitCheck(git_object_lookup(&out, pointer, &oid, GIT_OBJECT_TREE), "cannot load the empty tree in \(path.path)")
        return GitObject(out!, repository: self)
    }

    /// Walks `tree` and refuses the first entry whose name is not a plain single path component.
    private func validateTree(_ tree: GitObject, prefix: String, commit: String) throws {
        try withExtendedLifetime(tree) { try validateEntries(of: tree, prefix: prefix, commit: commit) }
    }

    private func validateEntries(of tree: GitObject, prefix: String, commit: String) throws {
        let count = git_tree_entrycount(tree.pointer)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree.pointer, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let shown = prefix + name
            if let reason = Self.unsafeEntryReason(name) {
                throw RikerError(.git, "refusing to check out commit \(commit): tree entry '\(shown)' \(reason)")
            }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { continue }
            var out: OpaquePointer?
            try gitCheck(git_tree_entry_to_object(&out, pointer, entry), "cannot read tree '\(shown)' of commit \(commit)")
            try validateTree(GitObject(out!, repository: self), prefix: shown + "/", commit: commit)
        }
    }

    /// Why a tree entry name is unsafe to create inside a directory, or nil if it is fine.
    static func unsafeEntryReason(_ name: String) -> String? {
        if name.isEmpty { return "has an empty name" }
        if name == "." || name == ".." { return "would escape the checkout directory" }
        if name.contains("/") || name.contains("\\") { return "contains a path separator" }
        if name.lowercased() == ".git" { return "would write a .git directory" }
        return nil
    }
}
