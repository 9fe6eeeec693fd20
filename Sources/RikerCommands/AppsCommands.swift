import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerReceive
import RikerRelease

struct AppsCreate: AsyncParsableCommand {
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

struct AppsInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsInfo.name, abstract: "Show an app's settings and what each environment runs.")
    @OptionGroup var global: GlobalOptions
    @Argument var app: String

    struct EnvInfo: Encodable { var env: String; var current: Int?; var commit: String?; var target: String; var address: String? }
    struct Info: Encodable { var name: String; var repository: String; var settings: [String: String]; var environments: [EnvInfo] }

    func run() async throws {
        try await reporting {
            try AppName.validate(app)
            let store = try global.openStore()
            guard let (settings, _) = try await store.app(app) else { throw RikerError(.notFound, "app \(app) does not exist: see apps:list") }
            var envs: [EnvInfo] = []
            for env in settings.environments {
                let current = try await store.current(app, env).version
                let release = try await current.asyncMap { try await store.release(app, env, $0) } ?? nil
                let port = settings.value("local.port", env: env)
                let target = settings.value("target", env: env) ?? "local"
                envs.append(EnvInfo(env: env, current: current, commit: release?.commit, target: target,
                                    address: target == "local" ? port.map { "http://127.0.0.1:\($0)" } : nil))
            }
            let info = Info(name: app, repository: global.paths.repo(app).path, settings: settings.settings, environments: envs)
            if global.json { try printJSON(info); return }
            print("=== \(app)")
            print("Repository:  \(info.repository)")
            for (k, v) in settings.settings.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
            for e in envs {
                let rel = e.current.map { "v\($0) (\(e.commit?.prefix(7) ?? "?"))" } ?? "nothing deployed"
                print("\(e.env): \(rel), target \(e.target)\(e.address.map { ", \($0)" } ?? "")")
            }
        }
    }
}

struct AppsDestroy: AsyncParsableCommand {
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

struct AppsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.appsSet.name, abstract: "Change app settings (target, branch.NAME, deploy.*).")
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
                guard AppSettings.isKnownKey(k) else { throw RikerError(.invalidInput, "unknown setting '\(k.prefix(40))': see the README for the list") }
                if let problem = AppSettings.problem(key: k, value: v) { throw RikerError(.invalidInput, problem) }
                if k.hasPrefix("branch."), !v.isEmpty, v != "none" { try AppName.validate(v, kind: "environment") }
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
