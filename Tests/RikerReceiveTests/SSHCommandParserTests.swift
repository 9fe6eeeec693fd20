import RikerCore
import Testing
@testable import RikerReceive

@Suite struct SSHCommandParserTests {
    @Test(arguments: ["git-receive-pack 'web.git'", "git-receive-pack '/web.git'", "git-receive-pack web", "git receive-pack 'web.git'", "git-receive-pack \"web.git\""])
    func acceptsTheFormsGitSends(command: String) throws {
        #expect(try SSHCommandParser.parse(command) == .receivePack(app: "web"))
    }

    @Test func fetchIsUploadPack() throws {
        #expect(try SSHCommandParser.parse("git-upload-pack '/web.git'") == .uploadPack(app: "web"))
    }

    @Test func adminVerbsKeepQuotedArgumentsWhole() throws {
        #expect(try SSHCommandParser.parse("config:set web 'GREETING=hello; world' X=1")
            == .admin(verb: Verb.named("config:set")!, arguments: ["web", "GREETING=hello; world", "X=1"]))
    }

    @Test(arguments: [
        ("git-receive-pack '../x.git'", "invalid app name"),
        ("git-receive-pack 'a;id'", "invalid app name"),
        ("git-receive-pack a;id", "metacharacter"),
        ("bash", "unknown command"),
        ("", "does not offer a shell"),
        ("apps:list | sh", "metacharacter"),
        ("apps:list `id`", "metacharacter"),
        ("config:set web \"A=$(id)\"", "inside double quotes"),
        ("git-receive-pack 'web.git' extra", "one repository path"),
        ("git-receive-pack 'unterminated", "unterminated"),
        ("git-receive-pack 'Web.git'", "invalid app name"),
    ])
    func refusesHostileOrMalformedCommands(command: String, reason: String) {
        #expect {
            try SSHCommandParser.parse(command)
        } throws: { error in
            (error as? RikerError)?.message.contains(reason) == true
        }
    }

    @Test func refusesAnAppNameOf200Characters() {
        let name = String(repeating: "a", count: 200)
        #expect(throws: RikerError.self) { try SSHCommandParser.parse("git-receive-pack '\(name).git'") }
    }
}

@Suite struct AccessTests {
    let dev = SSHKey(name: "dev", publicKey: "ssh-ed25519 AAAA", admin: false, apps: ["web"], addedAt: .init())
    let admin = SSHKey(name: "root", publicKey: "ssh-ed25519 BBBB", admin: true, apps: [], addedAt: .init())

    @Test func adminMayDoAnything() throws {
        try Access.authorize(admin, .receivePack(app: "other"))
        try Access.authorize(admin, verb: .keysAdd, app: nil)
    }

    @Test func appKeyMayPushAndManageOnlyItsApps() throws {
        try Access.authorize(dev, .receivePack(app: "web"))
        try Access.authorize(dev, verb: .configSet, app: "web")
        try Access.authorize(dev, verb: .help, app: nil)
        #expect(throws: RikerError.self) { try Access.authorize(dev, .receivePack(app: "api")) }
        #expect(throws: RikerError.self) { try Access.authorize(dev, verb: .config, app: "api") }
        #expect(throws: RikerError.self) { try Access.authorize(dev, verb: .keysAdd, app: nil) }
        #expect(throws: RikerError.self) { try Access.authorize(dev, verb: .appsDestroy, app: "web") }
        #expect(throws: RikerError.self) { try Access.authorize(dev, verb: .releases, app: nil) }
    }
}
