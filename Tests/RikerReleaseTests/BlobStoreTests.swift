import Crypto
import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing

/// Content-addressed blobs in both stores (S3 on a real moto_server), and image releases in release.json.
@Suite struct BlobStoreTests {
    /// An OCI layout dir holding `blobs` (their digests are computed here).
    func layout(_ blobs: [String]) throws -> (TempDir, [ContentDigest]) {
        let dir = try TempDir("layout")
        try FileManager.default.createDirectory(at: dir.path("blobs/sha256"), withIntermediateDirectories: true)
        let digests = try blobs.map { text -> ContentDigest in
            let d = ContentDigest(hex: SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined())!
            try Data(text.utf8).write(to: dir.path("blobs/sha256/\(d.hex)"))
            return d
        }
        return (dir, digests)
    }

    @Test(arguments: StoreKind.allCases)
    func blobsAreUploadedOnlyWhenAbsentAndComeBackVerified(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let (dir, d) = try layout(["layer one", "layer two", "config", "manifest"]); defer { dir.remove() }
        let first = try await f.store.pushBlobs(app: "web", Array(d[0...2]), from: dir.url)
        #expect(first.uploaded == 3 && first.present == 0 && first.uploadedBytes == Int64("layer onelayer twoconfig".utf8.count))
        let second = try await f.store.pushBlobs(app: "web", d, from: dir.url)
        #expect(second.uploaded == 1 && second.present == 3)
        #expect(try await f.store.head("apps/web/blobs/sha256/\(d[3].hex)") != nil)

        let out = dir.path("fetched")
        try await f.store.fetchBlob(app: "web", d[1], to: out)
        #expect(try String(contentsOf: out, encoding: .utf8) == "layer two")
        #expect(try await f.store.blobData(app: "web", d[2]) == Data("config".utf8))
    }

    @Test(arguments: StoreKind.allCases)
    func aTamperedBlobIsRefusedBothWays(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind); defer { f.cleanup() }
        let (dir, d) = try layout(["good bytes"]); defer { dir.remove() }
        try Data("bad bytes!".utf8).write(to: dir.path("blobs/sha256/\(d[0].hex)"))
        await #expect { try await f.store.pushBlobs(app: "web", d, from: dir.url) } throws: {
            ($0 as? RikerError)?.message.contains("not uploading a corrupt blob") == true
        }
        #expect(try await f.store.head("apps/web/blobs/sha256/\(d[0].hex)") == nil)

        try await f.store.put("apps/web/blobs/sha256/\(d[0].hex)", Data("bad bytes!".utf8), condition: .always)
        let out = dir.path("fetched")
        await #expect { try await f.store.fetchBlob(app: "web", d[0], to: out) } throws: {
            ($0 as? RikerError)?.code == .deployFailed && ($0 as? RikerError)?.message.hasSuffix("refusing to use it") == true
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        await #expect(throws: RikerError.self) { _ = try await f.store.blobData(app: "web", d[0]) }
    }

    @Test func releasesWithoutAnImageStillDecodeAndImageReleasesRoundTrip() throws {
        let old = """
        {"app":"web","artifact":"apps/web/slugs/x.tar.zst","builder":"buildpack:python","commit":"c","config":{},
         "created_at":"2025-01-02T03:04:05Z","created_by":"k","description":"d","env":"production","process_types":{"web":"x"},
         "ref":"refs/heads/main","sha256":"00","size":1,"version":3}
        """
        let release = try JSONCoding.decode(Release.self, from: Data(old.utf8), what: "old release")
        #expect(release.image == nil)
        #expect(!String(decoding: try JSONCoding.encode(release), as: UTF8.self).contains("image"))

        var image = release
        let m = ContentDigest(hex: String(repeating: "a", count: 64))!, c = ContentDigest(hex: String(repeating: "b", count: 64))!
        image.image = ImageArtifact(manifest: m, config: c, entrypoint: ["/bin/app"], cmd: ["serve"], port: 8080, env: ["A=1"], workingDir: "/app")
        let text = String(decoding: try JSONCoding.encode(image), as: UTF8.self)
        #expect(text.contains("\"manifest\" : \"sha256:\(m.hex)\""))
        #expect(text.contains("\"working_dir\" : \"/app\""))
        #expect(try JSONCoding.decode(Release.self, from: Data(text.utf8), what: "release") == image)
        let bad = text.replacingOccurrences(of: "sha256:\(m.hex)", with: "md5:1234")
        #expect(throws: RikerError.self) { try JSONCoding.decode(Release.self, from: Data(bad.utf8), what: "release") }
    }

    @Test func digestsAndImageConfigsParse() throws {
        #expect(try ContentDigest(parsing: "sha256:" + String(repeating: "AB", count: 32)).hex == String(repeating: "ab", count: 32))
        for bad in ["sha256:abc", "sha512:" + String(repeating: "a", count: 64), "sha256:" + String(repeating: "g", count: 64), "sha256:../../etc"] {
            #expect(throws: RikerError.self, "\(bad)") { try ContentDigest(parsing: bad) }
        }
        let config = """
        {"architecture":"amd64","os":"linux","config":{"ExposedPorts":{"8080/tcp":{},"53/udp":{},"9000":{}},"Env":["PATH=/bin"],
         "Entrypoint":["/bin/app"],"Cmd":null,"WorkingDir":"/srv"},"rootfs":{"type":"layers","diff_ids":["sha256:\(String(repeating: "c", count: 64))"]}}
        """
        let parsed = try OCI.decode(OCIImageConfig.self, from: Data(config.utf8), what: "config")
        #expect(parsed.exposedPort == 8080)
        let artifact = ImageArtifact(manifest: ContentDigest(hex: String(repeating: "a", count: 64))!, config: ContentDigest(hex: String(repeating: "b", count: 64))!, image: parsed)
        #expect(artifact.entrypoint == ["/bin/app"] && artifact.cmd == nil && artifact.workingDir == "/srv" && artifact.port == 8080)
        #expect(artifact.defaultCommand == ["/bin/app"])
    }
}
