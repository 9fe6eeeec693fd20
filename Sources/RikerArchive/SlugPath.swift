/// The rules a slug entry's path and link target must follow to stay inside the app directory.
/// Shared by packing (so a slug the agent would refuse is never written) and unpacking.
enum SlugPath {
    /// The path's components without empty and `.` ones, or the reason it is unsafe
    /// (absolute, or with a `..` component anywhere). `./` itself gives no components.
    static func components(of path: String) -> Result<[Substring], Refusal> {
        if path.isEmpty { return .failure(Refusal("empty path")) }
        if path.hasPrefix("/") { return .failure(Refusal("absolute path")) }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") { return .failure(Refusal("path contains '..'")) }
        return .success(parts)
    }

    /// Why a symlink at `linkPath` (relative to the root) pointing to `target` would resolve
    /// outside the root, or nil if it stays inside. Absolute targets are always refused.
    ///
    /// `..` is allowed only at the start of the target (`../../lib/x`): after a name, it would
    /// climb out of wherever that name leads, which another symlink can make anything (`s -> .`
    /// then `t -> s/../x` escapes). Leading `..` climbs out of the link's own parents, which are
    /// real directories (unpacking refuses entries that go through a symlink), so counting is exact.
    static func symlinkEscape(linkPath: [Substring], target: String) -> Refusal? {
        if target.isEmpty { return Refusal("symlink with an empty target") }
        if target.hasPrefix("/") { return Refusal("symlink to absolute path '\(target)'") }
        var depth = linkPath.count - 1
        var descended = false
        for part in target.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                if descended { return Refusal("symlink to '\(target)' has '..' after a name") }
                depth -= 1
                if depth < 0 { return Refusal("symlink to '\(target)' points outside the directory") }
            } else {
                descended = true
            }
        }
        return nil
    }

    struct Refusal: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
