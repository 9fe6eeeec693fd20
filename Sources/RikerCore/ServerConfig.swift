import Foundation

/// `ROOT/riker.conf`: settings of this Riker server, one `KEY=VALUE` per line (EnvFile format).
///
/// `store=URL` picks the release store. Upper-case keys (`AWS_REGION`, `AWS_ENDPOINT_URL`,
/// `AWS_PROFILE`, …) become environment variables of every riker process of this root that
/// does not already have them, since sshd's forced command starts with a minimal environment.
/// The file should be mode 0600 when it holds credentials; Riker never prints its values.
public enum ServerConfig {
    public static func load(_ paths: RikerPaths) -> [String: String] {
        guard let data = try? AtomicFile.read(paths.serverConfig) else { return [:] }
        return (try? EnvFile.decode(String(decoding: data, as: UTF8.self))) ?? [:]
    }

    /// Directories the operator trusts to hold buildpacks (`buildpack_dirs=DIR:DIR`).
    public static func buildpackDirs(_ paths: RikerPaths) -> [URL] {
        (load(paths)["buildpack_dirs"] ?? "").split(separator: ":").filter { !$0.isEmpty }.map { URL(fileURLWithPath: String($0)) }
    }

    /// Exports the upper-case settings into this process's environment (existing values win).
    public static func applyEnvironment(_ paths: RikerPaths) {
        for (k, v) in load(paths) where k.first.map({ $0.isUppercase }) == true && getenv(k) == nil {
            setenv(k, v, 0)
        }
    }
}
