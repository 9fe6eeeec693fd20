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

    @Test func verbsThatNeedTheServerAreNotOfferedOverSSH() {
        let ssh = Set(Verb.overSSH.map(\.name))
        for local in ["serve", "ssh-command", "hook", "slug:pack", "slug:unpack", "s3:cp"] { #expect(!ssh.contains(local)) }
        #expect(ssh.contains("config:set") && ssh.contains("help"))
    }
}
