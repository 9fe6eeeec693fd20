import ArgumentParser
import RikerCore

/// `riker-agent`: runs releases on an instance.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riker-agent",
        abstract: "Runs the releases the store says this instance should run.",
        subcommands: []
    )
    public init() {}
}
