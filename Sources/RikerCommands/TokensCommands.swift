import ArgumentParser
import Foundation
import RikerCore
import RikerServer

extension GlobalOptions {
    /// The API tokens of the server's store, with those of an older Riker's `ROOT/tokens.json`
    /// moved into it first (said on stderr).
    func tokenRing() async throws -> TokenRing {
        let ring = TokenRing(store: try openStore())
        let (imported, skipped) = try await ring.importLegacyFile(paths)
        if !imported.isEmpty || !skipped.isEmpty {
            var line = "-----> Moved \(imported.count) API token(s) from \(paths.legacyTokensFile.path) into the store (the file is now tokens.json.imported)"
            if !skipped.isEmpty { line += "; kept the store's token of the same name for: \(skipped.joined(separator: ", "))" }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        return ring
    }
}

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
            let (token, secret) = try await global.tokenRing().add(name: name, apps: apps, readOnly: readOnly)
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
            try await global.tokenRing().remove(name: name)
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
            let tokens = try await global.tokenRing().load()
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
