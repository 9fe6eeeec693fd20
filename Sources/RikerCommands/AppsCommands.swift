import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerReceive
import RikerRelease

struct AppsCreate: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsCreate.name, abstract: "Create an app and its git repository.")
    @OptionGroup var global: GlobalOptions
    @Argument var app: String

    func run() async throws {
        try await reporting {
            try await Apps(paths: global.paths, store: try global.openStore()).create(app)
            print("Created \(app)")
        }
    }
}

struct AppsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsList.name, abstract: "List apps.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reporting {
            let names = try await global.openStore().appNames()
            if global.json { try printJSON(names); return }
            print("=== Apps")
            names.forEach { print($0) }
        }
    }
}

struct AppsInfo: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsInfo.name, abstract: "Show an app's settings (effective values, defaults marked) and what each environment runs.")
    @OptionGroup var global: GlobalOptions
    @Argument var app: String

    struct SettingInfo: Encodable {
        var key: String; var value: String; var source: String
    }
    struct EnvInfo: Encodable {
        var env: String; var current: Int?; var commit: String?; var target: String; var address: String?; var settings: [SettingInfo]
    }
    struct Info: Encodable { var name: String; var repository: String; var environments: [EnvInfo] }

    func run() async throws {
        try await reporting {
            let store = try await global.openApp(app)
            guard let (settings, _) = try await store.app(app) else { throw RikerError(.notFound, "app \(app) does not exist: see apps:list") }
            var envs: [EnvInfo] = []
            for env in settings.environments {
                let current = try await store.current(app, env).version
                let release = try await current.asyncMap { try await store.release(app, env, $0) } ?? nil
                let deploy = try? DeploySettings(settings, env: env)
                envs.append(EnvInfo(env: env, current: current, commit: release?.commit, target: deploy?.target.rawValue ?? "?",
                                    address: deploy?.target == .local ? deploy?.localPort.map { "http://127.0.0.1:\($0)" } : nil,
                                    settings: Self.effective(settings, env: env)))
            }
            let info = Info(name: app, repository: global.paths.repo(app).path, environments: envs)
            if global.json { try printJSON(info); return }
            print("=== \(app)")
            print("Repository:  \(info.repository)")
            for e in envs {
                let rel = e.current.map { "v\($0) (\(e.commit?.prefix(7) ?? "?"))" } ?? "nothing deployed"
                print("")
                print("=== \(e.env): \(rel), target \(e.target)\(e.address.map { ", \($0)" } ?? "")")
                let width = e.settings.map(\.key.count).max() ?? 0
                for s in e.settings {
                    print("\(s.key.padding(toLength: width, withPad: " ", startingAt: 0))  \(s.value)\(s.source == "set" ? "" : "  (\(s.source))")")
                }
            }
        }
    }

    /// Every setting in effect for `env`: set ones (the env's own, then the app's), then the
    /// table's defaults; secrets masked.
    static func effective(_ settings: AppSettings, env: String) -> [SettingInfo] {
        var rows: [SettingInfo] = []
        let own = settings.envSettings[env] ?? [:]
        let keys = Set(settings.settings.keys).union(own.keys)
        for key in keys.sorted() {
            guard let value = settings.value(key, env: env), !value.isEmpty else { continue }
            let secret = Setting.named(key)?.secret == true
            rows.append(SettingInfo(key: key, value: secret ? "********" : value, source: own[key] != nil && env != "production" ? "set for \(env)" : "set"))
        }
        for setting in Setting.all where !setting.isFamily && !keys.contains(setting.key) {
            if let d = setting.defaultValue { rows.append(SettingInfo(key: setting.key, value: d, source: "default")) }
        }
        return rows.sorted { $0.key < $1.key }
    }
}

struct AppsDestroy: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsDestroy.name, abstract: "Delete an app: repository, releases, slugs and config.")
    @OptionGroup var global: GlobalOptions
    @Argument var app: String
    @Option(help: "The app's name again, to confirm.") var confirm: String?

    func run() async throws {
        try await reporting {
            try AppName.validate(app)
            guard confirm == app else {
                throw RikerError(.invalidInput, "this deletes \(app) for good: run apps:destroy \(app) --confirm \(app)")
            }
            try await Apps(paths: global.paths, store: try global.openStore()).destroy(app)
            print("Destroyed \(app)")
        }
    }
}

struct AppsSet: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsSet.name, abstract: "Change app settings (target, branch.NAME, deploy.*, build.*, …; see apps:info for all with their values).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Set for one environment only.") var env: String?
    @Argument var app: String
    @Argument(help: "KEY=VALUE settings; an empty VALUE removes the setting.") var settings: [String]

    func run() async throws {
        try await reporting {
            try AppName.validate(app)
            if let env { try AppName.validate(env, kind: "environment") }
            var pairs: [(String, String)] = []
            for s in settings {
                guard let eq = s.firstIndex(of: "="), eq != s.startIndex else { throw RikerError(.invalidInput, "expected KEY=VALUE, got '\(s.prefix(40))'") }
                let k = String(s[..<eq]), v = String(s[s.index(after: eq)...])
                if let problem = Setting.problem(key: k, value: v) { throw RikerError(.invalidInput, problem) }
                pairs.append((k, v))
            }
            guard !pairs.isEmpty else { throw RikerError(.invalidInput, "nothing to set: give KEY=VALUE pairs") }
            try await global.openStore().updateApp(app) { s in
                for (k, v) in pairs {
                    if let env { s.envSettings[env, default: [:]][k] = v.isEmpty ? nil : v } else { s.settings[k] = v.isEmpty ? nil : v }
                }
            }
            print("Updated \(app)\(env.map { " (\($0))" } ?? ""): \(pairs.map { $0.0 }.joined(separator: ", "))")
        }
    }
}
