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

    /// The environment a branch deploys to: `branch.NAME` setting (`none`: nowhere), else
    /// main/master → production.
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
}
