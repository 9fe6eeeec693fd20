import CGit2

/// Owns a `git_remote` (here always anonymous: a URL, not a configured remote) and frees it.
final class GitRemote {
    let pointer: OpaquePointer
    let url: String

    init(_ pointer: OpaquePointer, url: String) {
        self.pointer = pointer
        self.url = url
    }

    deinit { git_remote_free(pointer) }

    /// Downloads `refspecs` and updates the local references they name.
    func fetch(refspecs: [String]) throws {
        var options = git_fetch_options()
        try gitCheck(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "cannot initialise fetch options")
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_AUTO
        try withGitStrarray(refspecs) { specs in
            _ = try gitCheck(git_remote_fetch(pointer, specs, &options, "riker: fetch \(displayURL(url))"),
                         "cannot fetch \(refspecs.joined(separator: " ")) from \(displayURL(url))")
        }
    }
}
