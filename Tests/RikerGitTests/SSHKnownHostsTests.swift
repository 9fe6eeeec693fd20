import Foundation
import RikerCore
import RikerGit
import Testing

@Suite struct SSHKnownHostsTests {
    // A real ed25519 public key blob (any will do: only the bytes are compared).
    let key = "AAAAC3NzaC1lZDI1NTE5AAAAIEBMBQATBw45Hk13YSX1LFIPZp/5PGnLr6L/798jrRnN"
    var blob: Data { Data(base64Encoded: key)! }

    @Test func matchesByHostPatternPortFormOrAnyHost() throws {
        let pinned = try SSHKnownHosts(lines: ["github.com,*.example.com ssh-ed25519 \(key) comment", "[git.local]:2222 ssh-ed25519 \(key)"])
        #expect(pinned.accepts(host: "github.com", key: blob))
        #expect(pinned.accepts(host: "GHE.Example.com", key: blob))
        #expect(pinned.accepts(host: "git.local", key: blob))
        #expect(!pinned.accepts(host: "gitlab.com", key: blob))
        #expect(!pinned.accepts(host: "github.com", key: blob.dropLast() + Data([0])))
        #expect(try SSHKnownHosts(lines: ["ssh-ed25519 \(key)"]).accepts(host: "anything", key: blob))
    }

    @Test func skipsCommentsMarkersAndHashedHostsAndRefusesGarbage() throws {
        let pinned = try SSHKnownHosts(lines: ["", "# comment", "@revoked * ssh-ed25519 \(key)", "|1|abc=|def= ssh-ed25519 \(key)"])
        #expect(pinned.entries.isEmpty)
        let e = #expect(throws: RikerError.self) { try SSHKnownHosts(lines: ["# ok", "github.com ssh-ed25519 not-base64!"]) }
        #expect(e?.code == .invalidInput)
        #expect(e?.message.contains("line 2") == true)
        #expect(throws: RikerError.self) { try SSHKnownHosts(lines: ["github.com ssh-rsa \(key)"]) }
    }
}
