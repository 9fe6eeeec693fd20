import RikerAgentCommands

@main
struct Entrypoint {
    static func main() async { await AgentCommand.main() }
}
