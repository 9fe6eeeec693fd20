import Foundation
import RikerCore
import RikerGitHub
import Testing

@Suite struct GitHubRepositoryTests {
    @Test(arguments: [
        "https://github.com/acme/shop", "https://github.com/acme/shop.git", "https://github.com/acme/shop/",
        "http://github.com/acme/shop.git", "https://x-access-token:ghs_secret@github.com/acme/shop.git",
        "ssh://git@github.com/acme/shop.git", "ssh://git@github.com:22/acme/shop.git", "git@github.com:acme/shop.git",
        "github.com:acme/shop", "git://github.com/acme/shop.git",
    ])
    func readsOwnerAndNameFromEveryURLForm(_ url: String) throws {
        let r = try GitHubRepository(url: url)
        #expect(r == GitHubRepository(host: "github.com", owner: "acme", name: "shop"))
        #expect(r.description == "acme/shop")
        #expect(r.defaultAPIBase == "https://api.github.com")
    }

    @Test func anEnterpriseHostGetsItsOwnAPIBase() throws {
        let r = try GitHubRepository(url: "git@GHE.example.com:Team/my.repo.git")
        #expect(r == GitHubRepository(host: "ghe.example.com", owner: "Team", name: "my.repo"))
        #expect(r.defaultAPIBase == "https://ghe.example.com/api/v3")
        #expect(try GitHubRepository(url: "https://ghe.example.com:8443/Team/app").host == "ghe.example.com")
    }

    @Test(arguments: ["https://github.com/acme", "https://github.com/acme/shop/tree/main", "ftp://github.com/acme/shop",
                      "/srv/git/shop.git", "file:///srv/acme/shop.git", "https://github.com/../shop", ""])
    func refusesWhatIsNotARepositoryURL(_ url: String) {
        let e = #expect(throws: RikerError.self) { try GitHubRepository(url: url) }
        #expect(e?.code == .invalidInput)
    }

    @Test func theRefusalDoesNotRepeatACredential() {
        let e = #expect(throws: RikerError.self) { try GitHubRepository(url: "https://user:hunter2@github.com/only-owner") }
        #expect(e?.message.contains("hunter2") == false)
    }
}
