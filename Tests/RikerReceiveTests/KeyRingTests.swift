import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerReceive

@Suite struct KeyRingTests {
    func makeKey(_ dir: TempDir, _ name: String) throws -> String {
        let f = dir.path(name)
        _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "c@x", "-f", f.path])
        return try String(contentsOf: URL(fileURLWithPath: f.path + ".pub"), encoding: .utf8)
    }

    @Test func addWritesAForcedCommandLineAndRefusesDuplicates() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let ring = KeyRing(paths: RikerPaths(root: dir.path("root")), rikerBinary: "/opt/riker/bin/riker")
        let pub = try makeKey(dir, "k1")
        try ring.add(name: "alice", publicKey: pub, admin: true, apps: [])
        let text = try String(contentsOf: ring.paths.authorizedKeys, encoding: .utf8)
        #expect(text.hasPrefix("command=\"/opt/riker/bin/riker --root \(dir.path("root").path) ssh-command alice\",restrict ssh-ed25519 "))
        #expect(throws: RikerError.self) { try ring.add(name: "alice2", publicKey: pub, admin: false, apps: []) }
        #expect(throws: RikerError.self) { try ring.add(name: "alice", publicKey: try makeKey(dir, "k2"), admin: false, apps: []) }
        #expect(try ring.load().count == 1)
    }

    @Test func refusesDamagedKeysAndBadNamesWithoutTouchingFiles() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let ring = KeyRing(paths: RikerPaths(root: dir.path("root")), rikerBinary: "/usr/bin/riker")
        #expect(throws: RikerError.self) { try ring.add(name: "bob", publicKey: "ssh-ed25519 !!!notbase64", admin: false, apps: []) }
        #expect(throws: RikerError.self) { try ring.add(name: "bob", publicKey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIG3b", admin: false, apps: []) }
        #expect(throws: RikerError.self) { try ring.add(name: "Bob;rm", publicKey: try makeKey(dir, "k"), admin: false, apps: []) }
        #expect(!FileManager.default.fileExists(atPath: ring.paths.authorizedKeys.path))
    }

    @Test func removeDropsTheLine() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let ring = KeyRing(paths: RikerPaths(root: dir.path("root")), rikerBinary: "/usr/bin/riker")
        try ring.add(name: "a", publicKey: try makeKey(dir, "ka"), admin: true, apps: [])
        try ring.add(name: "b", publicKey: try makeKey(dir, "kb"), admin: false, apps: ["web"])
        try ring.remove(name: "a")
        let text = try String(contentsOf: ring.paths.authorizedKeys, encoding: .utf8)
        #expect(!text.contains("ssh-command a\""))
        #expect(text.contains("ssh-command b\""))
        #expect(throws: RikerError.self) { try ring.remove(name: "a") }
    }
}
