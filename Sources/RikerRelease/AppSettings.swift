import Foundation
import RikerCore

/// `apps/APP/app.json`: an app's settings, app-wide and per environment.
///
/// Settings are `KEY=VALUE` strings set with `apps:set` (`target`, `branch.NAME`,
/// `deploy.health_path`, …). An env's own value wins over the app-wide one.
public struct AppSettings: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: Date
    public var settings: [String: String]
    public var envSettings: [String: [String: String]]

    enum CodingKeys: String, CodingKey {
        case name
        case createdAt = "created_at"
        case settings
        case envSettings = "env_settings"
    }

    public init(name: String, createdAt: Date = Date(), settings: [String: String] = [:], envSettings: [String: [String: String]] = [:]) {
        self.name = name; self.createdAt = createdAt; self.settings = settings; self.envSettings = envSettings
    }

    /// The value of `key` for `env`: the env's own, then the app's, then nil.
    public func value(_ key: String, env: String) -> String? {
        envSettings[env]?[key] ?? settings[key]
    }

    /// The environment a branch deploys to: `branch.NAME` setting, else main/master → production.
    public func environment(forBranch branch: String) -> String? {
        if let mapped = settings["branch.\(branch)"] { return mapped.isEmpty || mapped == "none" ? nil : mapped }
        return (branch == "main" || branch == "master") ? "production" : nil
    }

    /// Environments this app knows of (production always).
    public var environments: [String] {
        var envs = Set(envSettings.keys)
        envs.insert("production")
        for (k, v) in settings where k.hasPrefix("branch.") && !v.isEmpty && v != "none" { envs.insert(v) }
        return envs.sorted()
    }

    /// Checks a value before `apps:set` stores it, so a bad setting fails now rather than at the
    /// next deploy. Returns nil when fine, else the one-line reason.
    public static func problem(key: String, value: String) -> String? {
        if value.isEmpty { return nil }
        func number(max: Double? = nil) -> String? {
            guard let v = Double(value), v >= 0, max.map({ v <= $0 }) ?? true else {
                return "\(key) must be a number" + (max.map { " from 0 to \(Int($0))" } ?? " of 0 or more")
            }
            return nil
        }
        switch key {
        case "target": return ["local", "asg"].contains(value) ? nil : "target must be local or asg"
        case "deploy.batch":
            let n = value.hasSuffix("%") ? Double(value.dropLast()) : Double(value)
            guard let n, n > 0, !value.hasSuffix("%") || n <= 100, value.hasSuffix("%") || n == n.rounded() else {
                return "deploy.batch must be a count like 2 or a percent like 25%"
            }
            return nil
        case "deploy.min_healthy": return number(max: 100)
        case "deploy.drain_seconds", "deploy.timeout_seconds", "build.timeout_seconds": return number()
        case "local.port": return Int(value).map { (1...65535).contains($0) } == true ? nil : "local.port must be a TCP port"
        case "deploy.health_path": return value.hasPrefix("/") && !value.contains(" ") ? nil : "deploy.health_path must start with / and have no spaces"
        default: return nil
        }
    }

    /// Keys `apps:set` accepts; anything else is refused so a typo does not silently do nothing.
    public static func isKnownKey(_ key: String) -> Bool {
        let exact: Set = ["target", "asg.name", "asg.target_groups", "deploy.batch", "deploy.min_healthy",
                          "deploy.drain_seconds", "deploy.health_path", "deploy.timeout_seconds",
                          "webhook.repo", "webhook.secret", "build.timeout_seconds", "local.port"]
        return exact.contains(key) || key.hasPrefix("branch.")
    }
}
