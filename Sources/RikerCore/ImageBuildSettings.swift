import Foundation
import RikerCore

/// Whether RUN steps of a Dockerfile build reach the network (app setting `build.network`).
public enum BuildNetwork: String, Sendable, CaseIterable {
    /// The engine's default network: RUN steps can fetch packages.
    case `default`
    /// No network at all (`--network=none`).
    case none

    /// Parses the setting; empty or absent means `default`. Throws `.invalidInput` otherwise.
    public init(setting: String?) throws {
        let text = (setting ?? "").trimmingCharacters(in: .whitespaces)
        if text.isEmpty { self = .default; return }
        guard let value = BuildNetwork(rawValue: text) else { throw RikerError(.invalidInput, Self.message) }
        self = value
    }

    /// Nil when `value` is a valid `build.network`, else the one-line reason (for `apps:set`).
    public static func problem(_ value: String) -> String? { (try? BuildNetwork(setting: value)) == nil ? message : nil }

    static let message = "build.network must be default or none"
}

/// The config vars a Dockerfile build receives as `--build-arg` (app setting `build.args`: names
/// separated by commas or spaces).
///
/// Values never appear on a command line (other users could read it): the engine gets
/// `--build-arg NAME` and the value in its environment. So names the engine itself reads from
/// its environment (its own settings, paths, proxies, the dynamic loader's) are refused: a
/// config var must not be able to reconfigure a root process.
public enum BuildArgs {
    /// Parses the setting. Throws `.invalidInput` naming the first bad name.
    public static func parse(_ setting: String?) throws -> [String] {
        let names = (setting ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        for name in names {
            guard EnvFile.isValidKey(name) else {
                throw RikerError(.invalidInput, "build.args: '\(name.prefix(40))' is not a config var name (letters, digits and '_')")
            }
            guard !isReserved(name) else {
                throw RikerError(.invalidInput, "build.args: \(name) cannot be a build arg: the container engine reads it itself; rename the config var")
            }
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// Nil when `value` is a valid `build.args`, else the one-line reason (for `apps:set`).
    public static func problem(_ value: String) -> String? {
        do { _ = try parse(value); return nil } catch { return error.userMessage }
    }

    static let reservedNames: Set = ["PATH", "HOME", "USER", "SHELL", "LANG", "LANGUAGE", "TMPDIR", "TZ", "NOTIFY_SOCKET",
                                     "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"]
    static let reservedPrefixes = ["CONTAINERS_", "CONTAINER_", "_CONTAINERS", "BUILDAH_", "PODMAN_", "REGISTRY_", "STORAGE_",
                                   "DOCKER_", "BUILDKIT_", "XDG_", "LD_", "GO", "LC_", "SSL_", "CNI_", "NETAVARK_", "CONMON_"]

    static func isReserved(_ name: String) -> Bool {
        let upper = name.uppercased()
        return reservedNames.contains(upper) || reservedPrefixes.contains { upper.hasPrefix($0) }
    }
}
