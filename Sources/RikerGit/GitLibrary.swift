import CGit2
import Foundation
import RikerCore

/// libgit2's process-wide setup, done once, the first time a repository is touched.
enum GitLibrary {
    /// Swift runs a global's initializer exactly once, thread-safely: that is the lazy init.
    private static let initialized: Int32 = {
        let count = git_libgit2_init()
        // Root (riker serve) opens the app repositories the unprivileged Riker user owns; libgit2
        // would refuse them as another user's. It runs no program a repository's config names,
        // so owning is not trusting here.
        if geteuid() == 0 { _ = riker_git_opts_set_owner_validation(0) }
        return count
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}

/// The one error check every libgit2 call goes through: a negative return becomes a
/// `RikerError(.git, …)` carrying what we were doing (with its input) and libgit2's own message.
@discardableResult
func gitCheck(_ result: Int32, _ what: @autoclosure () -> String) throws -> Int32 {
    guard result < 0 else { return result }
    throw gitError(result, what())
}

/// The error for a failed libgit2 call, read from libgit2's thread-local last error.
func gitError(_ result: Int32, _ what: String) -> RikerError {
    var detail = "libgit2 error \(result)"
    if let last = git_error_last(), let message = last.pointee.message {
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { detail = text }
    }
    return RikerError(.git, "\(what): \(detail)")
}

/// Calls `body` with a `git_strarray` borrowing C copies of `strings`, freed afterwards.
func withGitStrarray<T>(_ strings: [String], _ body: (UnsafeMutablePointer<git_strarray>) throws -> T) rethrows -> T {
    var cStrings: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { cStrings.forEach { free($0) } }
    return try cStrings.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}

extension git_oid {
    /// The full hex id.
    var hex: String {
        var oid = self
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, buffer.count, &oid)
        return String(cString: buffer)
    }
}

/// `url` fit for messages: any `user:password@` part (a token in an https URL) is dropped.
func displayURL(_ url: String) -> String {
    guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
    let authority = url[scheme.upperBound..<at]
    if authority.contains("/") { return url }
    return String(url[..<scheme.upperBound]) + "***@" + String(url[url.index(after: at)...])
}
