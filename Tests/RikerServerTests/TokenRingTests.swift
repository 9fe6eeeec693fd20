import Foundation
import RikerCore
import RikerServer
import RikerTestSupport
import Testing

/// The token file: hashes only, 0600, changes seen by a ring that has already read it.
@Suite struct TokenRingTests {
    @Test func aTokenVerifiesUntilRemovedAndOnlyItsHashIsStored() throws {
        let dir = try TempDir("tokens")
        defer { dir.remove() }
        let paths = RikerPaths(root: dir.url)
        let ring = TokenRing(paths: paths)
        let (token, secret) = try ring.add(name: "ci", apps: ["web", "web"], readOnly: true)
        #expect(token.apps == ["web"] && token.readOnly)
        #expect(secret.hasPrefix("riker_") && secret.count == 70)
        #expect(token.sha256 == APIToken.hash(secret))

        // Another ring (another process's view) sees it, then sees it go.
        let server = TokenRing(paths: paths)
        #expect(try server.verify(secret)?.name == "ci")
        #expect(try server.verify(secret + "x") == nil)
        #expect(try server.verify("") == nil)
        let text = try String(contentsOf: paths.tokensFile, encoding: .utf8)
        #expect(!text.contains(secret))
        #expect(try FileManager.default.attributesOfItem(atPath: paths.tokensFile.path)[.posixPermissions] as? Int == 0o600)

        #expect(throws: RikerError.self) { try ring.add(name: "ci", apps: [], readOnly: false) }
        #expect(throws: RikerError.self) { try ring.add(name: "Bad Name", apps: [], readOnly: false) }
        #expect(throws: RikerError.self) { try ring.add(name: "x", apps: ["../etc"], readOnly: false) }
        let (_, second) = try ring.add(name: "deploy", apps: [], readOnly: false)
        #expect(second != secret)
        #expect(try server.verify(second)?.covers("anything") == true)

        try ring.remove(name: "ci")
        #expect(try server.verify(secret) == nil)
        #expect(try server.verify(second)?.name == "deploy")
        #expect(throws: RikerError.self) { try ring.remove(name: "ci") }
    }
}
