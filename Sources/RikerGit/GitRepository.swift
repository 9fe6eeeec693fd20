import CGit2
import Foundation
import RikerCore

/// A git repository opened with libgit2.
///
/// Not `Sendable`: use one instance from one thread at a time (open another for another thread).
public final class GitRepository {
    let pointer: OpaquePointer
    /// The path the repository was opened or created at, for messages.
    public let path: URL

    init(_ pointer: OpaquePointer, path: URL) {
        self.pointer = pointer
        self.path = path
    }

    deinit { git_repository_free(pointer) }

    /// Opens a (bare or not) repository. Inside a pre-receive hook it also sees the pushed
    /// objects still in git's quarantine (GIT_QUARANTINE_PATH / GIT_OBJECT_DIRECTORY /
    /// GIT_ALTERNATE_OBJECT_DIRECTORIES from the environment).
    ///
    /// Those directories are added as extra object directories of this handle only; nothing
    /// is written to the repository. Throws `RikerError(.git)` if `path` is not a repository.
    public static func open(_ path: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GitRepository {
        GitLibrary.ensureInitialized()
        var out: OpaquePointer?
        try gitCheck(git_repository_open_ext(&out, path.path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil),
                     "cannot open git repository \(path.path)")
        let repository = GitRepository(out!, path: path)
        try repository.addObjectDirectories(from: environment)
        return repository
    }

    /// Creates a bare repository at `path` (the parent directories too) whose HEAD is
    /// `refs/heads/main`. Opening an existing repository there is not an error: libgit2
    /// re-initialises it in place.
    public static func initBare(_ path: URL) throws -> GitRepository {
        GitLibrary.ensureInitialized()
        var options = git_repository_init_options()
        try gitCheck(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                     "cannot initialise repository options")
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue
        var out: OpaquePointer?
        // HEAD names `main`, so a clone of an app pushed as main checks it out without a warning.
        try "main".withCString { head in
            options.initial_head = head
            try gitCheck(git_repository_init_ext(&out, path.path, &options), "cannot create bare git repository \(path.path)")
        }
        return GitRepository(out!, path: path)
    }

    /// Full commit id for a revision (`main`, `refs/heads/x`, an abbreviated or full id).
    /// A tag resolves to the commit it points to.
    public func resolveCommit(_ rev: String) throws -> String {
        try commitObject(rev).id
    }

    /// Creates or moves the reference `name` (e.g. `refs/tags/riker/production/v3`) to `commit`.
    /// `commit` is any revision `resolveCommit` accepts; `message` goes to the reflog.
    public func setReference(_ name: String, to commit: String, message: String) throws {
        let id = try resolveCommit(commit)
        var oid = git_oid()
        try gitCheck(git_oid_fromstr(&oid, id), "invalid commit id \(id)")
        var out: OpaquePointer?
        try gitCheck(git_reference_create(&out, pointer, name, &oid, 1, message),
                     "cannot set reference \(name) to \(id) in \(path.path)")
        _ = GitReference(out!)
    }

    /// Fetches `refspecs` (e.g. `+refs/heads/*:refs/heads/*`) from `url` into this repository.
    public func fetch(url: String, refspecs: [String]) throws {
        var out: OpaquePointer?
        try gitCheck(git_remote_create_anonymous(&out, pointer, url), "invalid git URL \(displayURL(url))")
        try GitRemote(out!, url: url).fetch(refspecs: refspecs)
    }

    /// The first line of the commit's message.
    public func summary(of commit: String) throws -> String {
        let object = try commitObject(commit)
        return try withExtendedLifetime(object) {
            guard let text = git_commit_summary(object.pointer) else {
                throw gitError(-1, "cannot read the message of commit \(object.id)")
            }
            return String(cString: text)
        }
    }

    /// The object `rev` names, peeled to a commit.
    func commitObject(_ rev: String) throws -> GitObject {
        var out: OpaquePointer?
        try gitCheck(git_revparse_single(&out, pointer, rev), "cannot resolve '\(rev)' in \(path.path)")
        return try GitObject(out!, repository: self).peel(to: GIT_OBJECT_COMMIT, "'\(rev)' in \(path.path) is not a commit")
    }
}
