import CGit2
import Foundation
import RikerCore

// CONTRACT (filled in by the RikerGit work): signatures other modules rely on.

/// A git repository opened with libgit2.
public final class GitRepository {
    /// Opens a (bare or not) repository. Inside a pre-receive hook it also sees the pushed
    /// objects still in git's quarantine (GIT_QUARANTINE_PATH / GIT_OBJECT_DIRECTORY /
    /// GIT_ALTERNATE_OBJECT_DIRECTORIES from the environment).
    public static func open(_ path: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GitRepository {
        throw RikerError(.git, "not implemented")
    }

    /// Creates a bare repository at `path` (the parent directories too).
    public static func initBare(_ path: URL) throws -> GitRepository { throw RikerError(.git, "not implemented") }

    /// Clones `url` (any transport libgit2 has: file, https, ssh) into `dir`, checking out `ref`
    /// (branch or tag) or the default branch.
    public static func clone(url: String, ref: String?, to dir: URL) throws { throw RikerError(.git, "not implemented") }

    /// Full commit id for a revision (`main`, `refs/heads/x`, an abbreviated or full id).
    public func resolveCommit(_ rev: String) throws -> String { throw RikerError(.git, "not implemented") }

    /// Writes the tree of `commit` into `dir` (created if needed): files with their modes,
    /// symlinks, no `.git`. Submodules are skipped.
    public func checkout(commit: String, to dir: URL) throws { throw RikerError(.git, "not implemented") }

    /// Creates or moves the reference `name` (e.g. `refs/tags/riker/production/v3`) to `commit`.
    public func setReference(_ name: String, to commit: String, message: String) throws { throw RikerError(.git, "not implemented") }

    /// Fetches `refspecs` from `url` into this repository.
    public func fetch(url: String, refspecs: [String]) throws { throw RikerError(.git, "not implemented") }

    /// The first line of the commit's message.
    public func summary(of commit: String) throws -> String { throw RikerError(.git, "not implemented") }
}
