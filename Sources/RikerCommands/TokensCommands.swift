import ArgumentParser
import Foundation
import RikerCore
import RikerServer

struct TokensAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.tokensAdd.name,
                                                    abstract: "Create an HTTP API token; prints it once (only its hash is kept).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Name of the token (a-z, 0-9, '-').") var name: String
    @Option(name: .customLong("app"), help: "An app the token may use (repeatable; none: every app).") var apps: [String] = []
    @Flag(name: .customLong("read-only"), help: "May read, never change.") var readOnly = false

    struct Created: Encodable {
        var name: String; var token: String; var apps: [String]; var readOnly: Bool
        enum CodingKeys: String, CodingKey { case name, token, apps; case readOnly = "read_only" }
    }

    func run() async throws {
        try await reporting {
            let (token, secret) = try TokenRing(paths: global.paths).add(name: name, apps: apps, readOnly: readOnly)
            if global.json { try printJSON(Created(name: token.name, token: secret, apps: token.apps, readOnly: token.readOnly)); return }
            let scope = (token.apps.isEmpty ? "every app" : token.apps.joined(separator: ", ")) + (token.readOnly ? ", read-only" : "")
            print("Added token \(token.name) (\(scope)). It is shown only this once:")
            print(secret)
        }
    }
}

struct TokensRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.tokensRemove.name, abstract: "Remove an HTTP API token.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func run() async throws {
        try await reporting {
            try TokenRing(paths: global.paths).remove(name: name)
            print("Removed token \(name)")
        }
    }
}

struct TokensList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: Verb.tokensList.name, abstract: "List HTTP API tokens (names and scopes, never the tokens).")
    @OptionGroup var global: GlobalOptions

    struct Row: Encodable {
        var name: String; var apps: [String]; var readOnly: Bool; var createdAt: Date
        enum CodingKeys: String, CodingKey { case name, apps; case readOnly = "read_only"; case createdAt = "created_at" }
    }

    func run() async throws {
        try await reporting {
            let tokens = try TokenRing(paths: global.paths).load()
            if global.json { try printJSON(tokens.map { Row(name: $0.name, apps: $0.apps, readOnly: $0.readOnly, createdAt: $0.createdAt) }); return }
            if tokens.isEmpty { print("No API tokens: add one with tokens:add NAME [--app APP] [--read-only]"); return }
            print("=== API tokens")
            for t in tokens {
                let scope = (t.apps.isEmpty ? "all apps" : t.apps.joined(separator: ",")) + (t.readOnly ? "  read-only" : "")
                print("\(t.name.padding(toLength: max(16, t.name.count), withPad: " ", startingAt: 0))  \(scope)")
            }
        }
    }
}
