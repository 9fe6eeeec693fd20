import Foundation
import RikerCore
import RikerRelease

/// Where a release.json lives: the store it belongs to, and the app, env and version its key names.
public struct ReleaseLocation: Equatable, Sendable {
    public var storeURL: String
    public var app: String
    public var env: String
    public var version: Int

    public init(storeURL: String, app: String, env: String, version: Int) {
        self.storeURL = storeURL; self.app = app; self.env = env; self.version = version
    }

    /// Parses `file:///STORE/apps/APP/ENV/releases/vN/release.json`, a plain path of that shape,
    /// or `s3://BUCKET/PREFIX/apps/…/release.json`. Throws `.invalidInput` for anything else.
    public init(parsing url: String) throws {
        let invalid = RikerError(.invalidInput, "'\(url.prefix(200))' is not a release: expected …/apps/APP/ENV/releases/vN/release.json")
        var text = url
        if text.hasPrefix("file://") { text = String(text.dropFirst(7)) }
        else if !text.contains("://") { text = URL(fileURLWithPath: text).standardizedFileURL.path }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 6, parts[parts.count - 1] == "release.json", parts[parts.count - 3] == "releases",
              parts[parts.count - 6] == "apps", let version = parseVersion(parts[parts.count - 2]),
              AppName.isValid(parts[parts.count - 5]), !parts[parts.count - 4].isEmpty else { throw invalid }
        var root = parts[..<(parts.count - 6)].joined(separator: "/")
        if root.isEmpty { root = "/" }
        storeURL = url.hasPrefix("file://") ? "file://" + root : root
        app = parts[parts.count - 5]
        env = parts[parts.count - 4]
        self.version = version
    }
}
