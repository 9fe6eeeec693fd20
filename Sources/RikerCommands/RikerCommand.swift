import ArgumentParser
import RikerCore

/// `riker`: the server and admin command line.
public struct RikerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riker",
        abstract: "Git-push build and deploy server.",
        subcommands: []
    )
    public init() {}
}
