import ArgumentParser
import Foundation
import RikerCore
import RikerReceive

struct KeysAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.keysAdd.name, abstract: "Register an SSH public key (read from stdin).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Name of the key (a-z, 0-9, '-').") var name: String
    @Flag(help: "May do everything, including creating apps by pushing.") var admin = false
    @Option(name: .customLong("app"), help: "An app this key may push to and manage (repeatable).") var apps: [String] = []

    func run() async throws {
        try await reporting {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            guard let line = String(data: input.prefix(16384), encoding: .utf8)?.split(separator: "\n").first(where: { !$0.isEmpty }) else {
                throw RikerError(.invalidInput, "no public key on stdin: pipe one in, e.g. keys:add \(name) < ~/.ssh/id_ed25519.pub")
            }
            let ring = KeyRing(paths: global.paths, rikerBinary: Installation.rikerBinary.path)
            let key = try ring.add(name: name, publicKey: String(line), admin: admin, apps: apps)
            if global.json { try printJSON(key) } else {
                print("Added key \(key.name) (\(key.fingerprint))\(key.admin ? " as admin" : key.apps.isEmpty ? "" : " for \(key.apps.joined(separator: ", "))")")
            }
        }
    }
}

struct KeysRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.keysRemove.name, abstract: "Remove an SSH key.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func run() async throws {
        try await reporting {
            try KeyRing(paths: global.paths, rikerBinary: Installation.rikerBinary.path).remove(name: name)
            print("Removed key \(name)")
        }
    }
}

struct KeysList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.keysList.name, abstract: "List registered SSH keys.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reporting {
            let keys = try KeyRing(paths: global.paths, rikerBinary: Installation.rikerBinary.path).load()
            if global.json { try printJSON(keys); return }
            if keys.isEmpty { print("No keys registered: add one with keys:add NAME --admin < KEY.pub"); return }
            print("=== Keys")
            for k in keys {
                let scope = k.admin ? "admin" : (k.apps.isEmpty ? "no apps" : k.apps.joined(separator: ","))
                print("\(k.name.padding(toLength: max(16, k.name.count), withPad: " ", startingAt: 0))  \(k.fingerprint)  \(scope)")
            }
        }
    }
}
