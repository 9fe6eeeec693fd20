import Foundation
import RikerCore

/// How many instances a rolling deploy takes at once: a count, or a percent of the group.
public enum BatchSize: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// `2` or `25%`; nil for anything else (0, fractions of an instance, over 100%).
    public init?(parsing text: String) {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.hasSuffix("%") {
            guard let p = Double(s.dropLast()), p > 0, p <= 100 else { return nil }
            self = .percent(p)
        } else {
            guard let n = Int(s), n > 0 else { return nil }
            self = .count(n)
        }
    }

    /// Instances per batch in a group of `groupSize` (at least 1).
    public func size(groupSize: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .percent(let p): return max(1, Int((Double(groupSize) * p / 100).rounded(.down)))
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return String(n)
        case .percent(let p): return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
        }
    }
}

/// An app env's deploy settings, typed and with their defaults (see `Setting.all`), read once
/// per push or action and passed down to the deploy and the agent.
public struct DeploySettings: Sendable, Equatable {
    public enum Target: String, Sendable { case local, asg }

    public var target: Target
    public var asgName: String?
    public var targetGroups: [String]
    public var batch: BatchSize
    public var minHealthyPercent: Double
    /// Nil: the target groups' own deregistration delay.
    public var drainSeconds: Double?
    public var healthPath: String
    /// Seconds a new release has to pass its health check.
    public var timeout: Double
    /// The port of target=local, once chosen.
    public var localPort: Int?
    /// Seconds the release phase (and app.json's postdeploy) may run.
    public var releaseTimeout: Double
    /// Lines of a failing process's output a failed deploy shows.
    public var failureLines: Int

    /// The effective settings of `env`: its own values, then the app's, then the defaults.
    /// Throws `.invalidInput` naming the setting when a stored value is not valid.
    public init(_ app: AppSettings, env: String) throws {
        let read = SettingReader(app: app, env: env)
        target = try read.value("target") { Target(rawValue: $0) }
        asgName = read.raw("asg.name")
        targetGroups = (read.raw("asg.target_groups") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        batch = try read.value("deploy.batch") { BatchSize(parsing: $0) }
        minHealthyPercent = try read.value("deploy.min_healthy") { Double($0) }
        drainSeconds = try read.optional("deploy.drain_seconds") { Double($0) }
        healthPath = try read.value("deploy.health_path") { $0 }
        timeout = try read.value("deploy.timeout_seconds") { Double($0) }
        localPort = try read.optional("local.port") { Int($0) }
        releaseTimeout = try read.value("deploy.release_timeout_seconds") { Double($0) }
        failureLines = try read.value("deploy.failure_lines") { Int($0) }
    }
}

extension DeploySettings {
    /// The log drain of `env` (`logs.drain`), nil when none is set. Read apart from the other
    /// deploy settings because a bad value must not stop a deploy: it throws `.invalidInput`
    /// saying why, and the agent runs without a drain (its lines still reach the store).
    public static func logDrain(_ app: AppSettings, env: String) throws -> DrainURL? {
        guard let text = SettingReader(app: app, env: env).raw("logs.drain") else { return nil }
        do { return try DrainURL(parsing: text) } catch {
            throw RikerError(.invalidInput, "\(app.name) (\(env)): \(error.userMessage): fix it with apps:set \(app.name) logs.drain=URL")
        }
    }
}

/// An app env's build settings, typed and with their defaults.
public struct BuildSettings: Sendable, Equatable {
    /// Seconds the whole build may take.
    public var timeout: Double
    /// Config vars a Dockerfile build gets as `--build-arg`.
    public var args: [String]
    /// Whether Dockerfile RUN steps reach the network.
    public var network: BuildNetwork
    /// `build.max_slug_mb`: MiB a slug's files may add up to unpacked.
    public var maxSlugMB: Int
    /// `maxSlugMB` in bytes.
    public var maxSlugBytes: Int64 { Int64(maxSlugMB) << 20 }
    /// `build.slug_format`: a layered slug (true, the default) or one archive.
    public var layeredSlugs: Bool

    public init(_ app: AppSettings, env: String) throws {
        let read = SettingReader(app: app, env: env)
        timeout = try read.value("build.timeout_seconds") { Double($0) }
        args = try read.optional("build.args") { try? BuildArgs.parse($0) } ?? []
        network = try read.value("build.network") { try? BuildNetwork(setting: $0) }
        maxSlugMB = try read.value("build.max_slug_mb") { Int($0) }
        layeredSlugs = try read.value("build.slug_format") { $0 == "layers" }
    }
}

/// Reads settings of one app env through `Setting.all`: checked, with the table's defaults.
struct SettingReader {
    let app: AppSettings
    let env: String

    func raw(_ key: String) -> String? { app.value(key, env: env).flatMap { $0.isEmpty ? nil : $0 } }

    /// The set value or the default, converted; a value that fails the table's check or the
    /// conversion throws naming the key and what to do.
    func optional<T>(_ key: String, _ convert: (String) -> T?) throws -> T? {
        guard let text = raw(key) ?? Setting.named(key)?.defaultValue else { return nil }
        if let problem = Setting.problem(key: key, value: text) {
            throw RikerError(.invalidInput, "\(app.name) (\(env)): \(problem): fix it with apps:set \(app.name) \(key)=VALUE")
        }
        guard let v = convert(text) else { throw RikerError(.invalidInput, "\(app.name) (\(env)): \(key)=\(text) is not valid") }
        return v
    }

    func value<T>(_ key: String, _ convert: (String) -> T?) throws -> T {
        guard let v = try optional(key, convert) else { throw RikerError(.invalidInput, "\(app.name) (\(env)): \(key) has no value") }
        return v
    }
}
