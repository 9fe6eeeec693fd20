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

/// `riker-agent`: runs releases on an instance.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riker-agent",
        abstract: "Runs the releases the store says this instance should run.",
        subcommands: []
    )
    public init() {}
}
