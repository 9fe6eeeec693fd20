import CGit2
import Foundation
import RikerCore

extension GitRepository {
    /// Clones `url` (any transport libgit2 has: file, https, ssh) into `dir`, checking out `ref`
    /// (branch or tag) or the default branch.
    ///
    /// `ref` may also be a full reference name or a commit id; with a `ref` the checkout is a
    /// detached HEAD at that commit. `dir` must be absent or empty. On failure `dir` is removed
    /// and a `RikerError(.git)` names the URL (without credentials) and the ref.
    public static func clone(url: String, ref: String?, to dir: URL) throws {
        GitLibrary.ensureInitialized()
        var options = git_clone_options()
        try gitCheck(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), "cannot initialise clone options")
        if ref != nil {
            options.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE.rawValue
        }
        var out: OpaquePointer?
        try gitCheck(git_clone(&out, url, dir.path, &options), "cannot clone \(displayURL(url)) into \(dir.path)")
        let repository = GitRepository(out!, path: dir)
        guard let ref else { return }
        do {
            try repository.checkoutDetached(try repository.cloneTarget(ref, url: url))
        } catch {
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
    }

    /// The commit `ref` names in a fresh clone of `url`: a branch of origin, a tag, or any
    /// revision. A tag the clone did not bring along (not on any branch) is fetched by name.
    private func cloneTarget(_ ref: String, url: String) throws -> GitObject {
        let candidates = ["refs/remotes/origin/\(ref)", "refs/tags/\(ref)", ref]
        func lookup() -> GitObject? {
            for candidate in candidates {
                if let commit = try? commitObject(candidate) { return commit }
            }
            return nil
        }
        if let commit = lookup() { return commit }
        try? fetch(url: url, refspecs: ["+refs/tags/\(ref):refs/tags/\(ref)"])
        if let commit = lookup() { return commit }
        throw RikerError(.git, "cannot find branch or tag '\(ref)' in \(displayURL(url))")
    }

    /// Forces the work tree and index to `commit` and points HEAD at it, detached.
    private func checkoutDetached(_ commit: GitObject) throws {
        let tree = try commit.peel(to: GIT_OBJECT_TREE, "cannot read the tree of commit \(commit.id)")
        var options = git_checkout_options()
        try gitCheck(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "cannot initialise checkout options")
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
        try withExtendedLifetime(tree) {
            _ = try gitCheck(git_checkout_tree(pointer, tree.pointer, &options), "cannot check out commit \(commit.id) in \(path.path)")
        }
        try withExtendedLifetime(commit) {
            _ = try gitCheck(git_repository_set_head_detached(pointer, git_object_id(commit.pointer)),
                         "cannot move HEAD to \(commit.id) in \(path.path)")
        }
    }
}
