import Foundation
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// The API tokens in the store: hashes only, seen at once by a ring that has already read
/// them, never lost to a concurrent change, imported once from an older root's file.
@Suite struct TokenRingTests {
    @Test func aTokenVerifiesUntilRemovedAndOnlyItsHashIsStored() async throws {
        let dir = try TempDir("tokens")
        defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        let ring = TokenRing(store: store)
        let (token, secret) = try await ring.add(name: "ci", apps: ["web", "web"], readOnly: true)
        #expect(token.apps == ["web"] && token.readOnly)
        #expect(secret.hasPrefix("riker_") && secret.count == 70)
        #expect(token.sha256 == APIToken.hash(secret))

        // Another ring (another server's view of the same store) sees it, then sees it go.
        let server = TokenRing(store: store)
        #expect(try await server.verify(secret)?.name == "ci")
        #expect(try await server.verify(secret + "x") == nil)
        #expect(try await server.verify("") == nil)
        let text = try #require(try await store.get(StoreLayout.tokens)).data
        #expect(!String(decoding: text, as: UTF8.self).contains(secret))
        #expect(String(decoding: text, as: UTF8.self).contains(APIToken.hash(secret)))

        await #expect(throws: RikerError.self) { try await ring.add(name: "ci", apps: [], readOnly: false) }
        await #expect(throws: RikerError.self) { try await ring.add(name: "Bad Name", apps: [], readOnly: false) }
        await #expect(throws: RikerError.self) { try await ring.add(name: "x", apps: ["../etc"], readOnly: false) }
        #expect(try await store.get(StoreLayout.tokens)?.data == text, "a refused add changes nothing")
        let (_, second) = try await ring.add(name: "deploy", apps: [], readOnly: false)
        #expect(second != secret)
        #expect(try await server.verify(second)?.covers("anything") == true)

        try await ring.remove(name: "ci")
        #expect(try await server.verify(secret) == nil)
        #expect(try await server.verify(second)?.name == "deploy")
        await #expect(throws: RikerError.self) { try await ring.remove(name: "ci") }
    }

    @Test func concurrentAddsFromManyRingsAllSurvive() async throws {
        let dir = try TempDir("tokens")
        defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        let secrets = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for i in 0..<12 {
                group.addTask { ("t\(i)", try await TokenRing(store: store).add(name: "t\(i)", apps: [], readOnly: i % 2 == 0).secret) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let ring = TokenRing(store: store)
        #expect(try await ring.load().map(\.name).sorted() == (0..<12).map { "t\($0)" }.sorted())
        for (name, secret) in secrets { #expect(try await ring.verify(secret)?.name == name) }
    }

    @Test func anOlderRootsTokenFileIsImportedOnceAndRenamed() async throws {
        let dir = try TempDir("tokens")
        defer { dir.remove() }
        let paths = RikerPaths(root: dir.path("root"))
        try FileManager.default.createDirectory(at: paths.root, withIntermediateDirectories: true)
        let store = LocalReleaseStore(directory: paths.localStore)
        let ring = TokenRing(store: store)
        let (_, kept) = try await ring.add(name: "both", apps: [], readOnly: false)
        let old = [APIToken(name: "legacy", sha256: APIToken.hash("riker_old"), apps: ["web"], readOnly: true, createdAt: Date()),
                   APIToken(name: "both", sha256: APIToken.hash("riker_older"), apps: [], readOnly: false, createdAt: Date())]
        try AtomicFile.write(try JSONCoding.encode(old), to: paths.legacyTokensFile, mode: 0o600)

        let result = try await ring.importLegacyFile(paths)
        #expect(result.imported == ["legacy"] && result.skipped == ["both"])
        #expect(try await ring.verify("riker_old")?.apps == ["web"])
        #expect(try await ring.verify(kept)?.name == "both", "the store's token of a name wins")
        #expect(try await ring.verify("riker_older") == nil)
        #expect(!FileManager.default.fileExists(atPath: paths.legacyTokensFile.path))
        #expect(FileManager.default.fileExists(atPath: paths.legacyTokensFile.path + ".imported"))

        // Removed later, it stays removed: the file is not read again.
        try await ring.remove(name: "legacy")
        #expect(try await ring.importLegacyFile(paths).imported.isEmpty)
        #expect(try await ring.verify("riker_old") == nil)
    }
}
