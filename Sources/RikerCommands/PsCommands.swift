import ArgumentParser
import Foundation
import RikerCore
import RikerDeploy
import RikerRelease

struct Ps: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(commandName: Verb.ps.name,
                                                    abstract: "Show an app env's formation and instances: release, state, health, address, processes.")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String

    struct Listing: Encodable {
        var release: Int?
        var formation: Formation?
        var instances: [InstanceStatus]
    }

    func run() async throws {
        try await reporting {
            let store = try await global.openApp(app, env: env)
            let current = try await ReleaseActions(paths: global.paths, store: store, output: .null).currentRelease(app, env)
            var rows: [InstanceStatus] = []
            for id in try await store.instanceIDs(app, env) {
                if let s = try await store.status(app, env, instance: id) { rows.append(s) }
            }
            let formation = current.map { $0.effectiveFormation.covering($0.processTypes) }
            if global.json { try printJSON(Listing(release: current?.version, formation: formation, instances: rows)); return }

            print("=== \(app) Formation (\(env)\(current.map { ", \($0.name)" } ?? ""))")
            if let formation {
                print(formation.counts.isEmpty ? "No process types" : "\(formation)  (per instance)")
                if current?.processTypes[Formation.releaseType] != nil { print("release: runs once per new release, before it is deployed") }
            } else {
                print("Nothing deployed yet: git push to deploy")
            }
            print("=== \(app) Instances (\(env))")
            if rows.isEmpty { print("No instances have reported yet") }
            for s in rows {
                let rel = s.release.map { "v\($0)" } ?? "-"
                let error = s.error.map { FailureReport(parsing: $0).summary }
                print("\(s.instance)  \(rel)  \(s.state.rawValue)  \(s.healthy ? "healthy" : "unhealthy")  \(s.address ?? "-")\(error.map { "  (\($0))" } ?? "")")
                let width = (s.processes ?? []).map(\.name.count).max() ?? 0
                for p in s.processes ?? [] {
                    var facts: [String] = []
                    if let pid = p.pid { facts.append("pid \(pid)") }
                    if p.restarts > 0 { facts.append("\(p.restarts) restart\(p.restarts == 1 ? "" : "s")") }
                    if let exit = p.lastExit { facts.append("last exit: \(exit)") }
                    let name = p.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    print("    \(name)  \(p.state.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(facts.joined(separator: ", "))")
                }
            }
        }
    }
}

struct PsScale: AsyncParsableCommand, AppCommand {
    static let configuration = CommandConfiguration(
        commandName: Verb.psScale.name,
        abstract: "Set how many processes of each type run per instance; makes and deploys a new release (no rebuild, no release command).")
    @OptionGroup var global: GlobalOptions
    @Option var env = "production"
    @Argument var app: String
    @Argument(help: "TYPE=COUNT pairs, e.g. worker=2 web=1.") var changes: [String]

    func run() async throws {
        try await reporting {
            let changes = try Formation.parseChanges(self.changes)
            let store = try await global.openApp(app, env: env)
            try await ReleaseActions(paths: global.paths, store: store, output: Output()).scale(app, env, changes: changes, createdBy: global.actor)
        }
    }
}
