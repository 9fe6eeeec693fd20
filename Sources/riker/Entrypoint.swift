import RikerCommands

@main
struct Entrypoint {
    static func main() async { await RikerCommand.start() }
}
