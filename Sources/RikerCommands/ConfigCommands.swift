import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerRelease

struct ConfigShow: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.config.name, abstract: "Show an app env's config vars.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String

    func run() async throws {
        try await reporting {
            let store = try await global.openApp(app, env: env)
            let vars = try await store.config(app, env).vars
            if global.json { try printJSON(vars); return }
            print("=== \(app) Config Vars (\(env))")
            let width = vars.keys.map(\.count).max() ?? 0
            for k in vars.keys.sorted() { print("\(k):".padding(toLength: width + 2, withPad: " ", startingAt: 0) + vars[k]!) }
        }
    }
}

struct ConfigSet: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.configSet.name, abstract: "Set config vars; makes and deploys a new release of the current slug.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String
    @Argument(help: "KEY=VALUE pairs.") var assignments: [String]

    func run() async throws {
        try await reporting {
            let vars = try EnvFile.parseAssignments(assignments)
            guard !vars.isEmpty else { throw RikerError(.invalidInput, "nothing to set: give KEY=VALUE pairs") }
            try await changeConfig(global: global, app: app, env: env, keys: vars.keys.sorted(), verb: "Set") { $0.merge(vars) { _, b in b } }
        }
    }
}

struct ConfigUnset: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.configUnset.name, abstract: "Remove config vars; makes and deploys a new release.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String
    @Argument var keys: [String]

    func run() async throws {
        try await reporting {
            for k in keys where !EnvFile.isValidKey(k) { throw RikerError(.invalidInput, "invalid config key '\(k.prefix(40))'") }
            guard !keys.isEmpty else { throw RikerError(.invalidInput, "nothing to unset: give KEY names") }
            try await changeConfig(global: global, app: app, env: env, keys: keys.sorted(), verb: "Unset") { v in keys.forEach { v[$0] = nil } }
        }
    }
}

/// Stores the change, then releases the current slug with the new config (printing keys only).
func changeConfig(global: GlobalOptions, app: String, env: String, keys: [String], verb: String, _ change: (inout [String: String]) -> Void) async throws {
    let store = try await global.openApp(app, env: env)
    try await changeConfig(paths: global.paths, store: store, app: app, env: env, keys: keys, verb: verb,
                           createdBy: global.actor, output: Output(), change)
}

/// The change itself, for the verbs and the HTTP API: stores the new vars, then releases and
/// deploys the current slug with them. Returns the release made, nil before the first deploy.
@discardableResult
func changeConfig(paths: RikerPaths, store: any ReleaseStore, app: String, env: String, keys: [String], verb: String,
                  createdBy: String, output: Output, _ change: (inout [String: String]) -> Void) async throws -> Release? {
    try await store.updateConfig(app, env, change)
    output.step("\(verb) \(keys.joined(separator: ", ")) for \(app) (\(env))")
    let actions = ReleaseActions(paths: paths, store: store, output: output)
    let release = try await actions.applyConfig(app, env, changed: "\(verb) \(keys.joined(separator: ", "))", createdBy: createdBy)
    if release == nil { output.detail("Nothing deployed yet; the next push uses the new config") }
    return release
}
