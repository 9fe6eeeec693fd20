import RikerCore

/// The keys of the store layout (DESIGN.md §5), in one place.
public enum StoreLayout {
    public static func app(_ app: String) -> String { "apps/\(app)/app.json" }
    public static func slug(_ app: String, sha256: String, ext: String) -> String { "apps/\(app)/slugs/\(sha256).\(ext)" }
    /// A content-addressed image blob (layer, config or manifest), shared by every env of the app.
    public static func blob(_ app: String, _ digest: ContentDigest) -> String { "apps/\(app)/blobs/sha256/\(digest.hex)" }
    public static func config(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/config.env" }
    public static func releasesPrefix(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/releases/" }
    public static func release(_ app: String, _ env: String, _ version: Int) -> String { "apps/\(app)/\(env)/releases/v\(version)/release.json" }
    public static func current(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/current" }
    public static func lock(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/lock" }
    public static func deploysPrefix(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/deploys/" }
    public static func deploy(_ app: String, _ env: String, _ id: String) -> String { "apps/\(app)/\(env)/deploys/\(id).json" }
    public static func instancesPrefix(_ app: String, _ env: String) -> String { "apps/\(app)/\(env)/instances/" }
    public static func desired(_ app: String, _ env: String, _ instance: String) -> String { "apps/\(app)/\(env)/instances/\(instance)/desired" }
    public static func status(_ app: String, _ env: String, _ instance: String) -> String { "apps/\(app)/\(env)/instances/\(instance)/status" }
    public static func buildLog(_ app: String, _ id: String) -> String { "builds/\(app)/\(id).log" }
}
