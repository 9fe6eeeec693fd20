import ArgumentParser
import Foundation
import RikerCore
import RikerReceive

/// A verb that acts on one app: its parsed `app`, for the access check of SSH keys.
protocol AppCommand {
    var app: String { get }
}

/// Runs a verb that came over SSH in this process: parsed exactly as on the command line (with
/// the server's root, which no client option can change), authorized for the key against the
/// app its arguments name, then run. Its arguments never reach a command line.
struct SSHVerbRunner {
    let paths: RikerPaths
    let key: SSHKey

    func run(_ verb: Verb, _ arguments: [String]) async throws {
        if verb == .help { printHelp(); return }
        setenv("RIKER_KEY_NAME", key.name, 1)
        var command: ParsableCommand
        do {
            command = try RikerCommand.parseAsRoot([verb.name, "--root", paths.root.path] + arguments)
        } catch {
            let message = RikerCommand.message(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid arguments"
            throw RikerError(.invalidInput, "\(verb): \(message) (see 'help')")
        }
        try Access.authorize(key, verb: verb, app: (command as? AppCommand)?.app)
        if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
    }

    /// The verbs this key may run over SSH, one line each.
    func printHelp() {
        let commands = Dictionary(RikerCommand.configuration.subcommands.compactMap { c in c.configuration.commandName.map { ($0, c) } },
                                  uniquingKeysWith: { a, _ in a })
        print("Riker over SSH: git push to deploy; these verbs run as on the server (--json for machine output).")
        for verb in Verb.overSSH where verb != .help && (key.admin || verb.access != .admin) {
            let abstract = commands[verb.name]?.configuration.abstract ?? ""
            print("  \(verb.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(abstract)")
        }
    }
}
