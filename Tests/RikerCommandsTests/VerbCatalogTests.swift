import ArgumentParser
import RikerCore
import Testing
@testable import RikerCommands

/// The command line and `Verb.all` (which the SSH parser and access check use) name the same verbs.
struct VerbCatalogTests {
    @Test func everyCommandIsAVerbAndEveryVerbACommand() {
        let commands = Set(RikerCommand.configuration.subcommands.compactMap { $0.configuration.commandName })
        // `help` is ArgumentParser's own verb on the command line.
        let verbs = Set(Verb.all.map(\.name)).subtracting([Verb.help.name])
        #expect(commands == verbs)
    }

    /// Keys scoped to apps are checked against the app a verb's parsed arguments name: every
    /// app verb must say which (else no app key could run it, or worse, the check could not).
    @Test func everyAppVerbNamesItsApp() throws {
        let required: [Verb: [String]] = [.configSet: ["A=1"], .configUnset: ["A"], .deploy: ["main"], .promote: ["--from", "a", "--to", "b"],
                                          .psScale: ["worker=1"], .deploysInfo: ["20261125T040000-abc123"]]
        for verb in Verb.all where verb.takesApp {
            let command = try RikerCommand.parseAsRoot([verb.name, "web"] + (required[verb] ?? []))
            #expect((command as? AppCommand)?.app == "web", "\(verb) does not name its app")
        }
        // Options that take values come before the app, as users type them.
        let releases = try RikerCommand.parseAsRoot(["releases", "--limit", "5", "web"])
        #expect((releases as? AppCommand)?.app == "web")
    }

    @Test func verbsThatNeedTheServerAreNotOfferedOverSSH() {
        let ssh = Set(Verb.overSSH.map(\.name))
        for local in ["serve", "ssh-command", "hook", "slug:pack", "slug:unpack", "s3:cp"] { #expect(!ssh.contains(local)) }
        #expect(ssh.contains("config:set") && ssh.contains("help"))
    }
}
