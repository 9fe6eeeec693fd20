import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// API tokens live in the store: two `riker serve` on one S3 bucket (moto) accept the same
/// tokens, both refuse a removed one at once, and tokens added at once from both survive.
@Suite struct SharedTokenTests {
    @Test func serversSharingAStoreAcceptTheSameTokensAndBothRefuseARemovedOne() throws {
        let moto = try MotoServer.shared()
        let aws = AWSFixture(moto: moto)
        let bucket = "riker-tokens-\(aws.tag)"
        let conf = try aws.s3StoreConfig(bucket: bucket, prefix: "shared")
        let a = try RikerServer(config: conf)
        defer { a.stop() }
        let b = try RikerServer(config: conf)
        defer { b.stop() }
        let apiA = APIClient(server: a), apiB = APIClient(server: b)
        #expect(try a.riker(["apps:create", "web"]).succeeded)

        // Made on a's root, good on b's server (and a's), for the API and the build records.
        let ci = try a.addToken("ci")
        for api in [apiA, apiB] {
            let apps = try api.get("/api/apps", token: ci)
            #expect(apps.status == 200 && (apps.json["apps"] as? [[String: Any]])?.first?["name"] as? String == "web", "\(apps)")
            #expect(try api.get("/apps/web/builds", token: ci).status == 200)
        }
        // Kept in the bucket as a hash, nowhere on either server's disk.
        let stored = try aws.aws(["s3", "cp", "s3://\(bucket)/shared/tokens.json", "-"])
        #expect(stored.contains(sha256Hex(ci)) && !stored.contains(ci))
        for server in [a, b] {
            #expect(!FileManager.default.fileExists(atPath: server.root.appendingPathComponent("tokens.json").path))
        }

        // Removed on b's root: refused by both servers at their next request.
        #expect(try b.riker(["tokens:remove", "ci"]).succeeded)
        #expect(try apiA.get("/api/apps", token: ci).status == 401)
        #expect(try apiB.get("/api/apps", token: ci).status == 401)
        #expect(try apiB.get("/apps/web/builds", token: ci).status == 401)

        // Added at the same moment on both roots: every one survives, and each works on the other server.
        let names = (0..<8).map { "c\($0)" }
        var made = [String?](repeating: nil, count: names.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let token = try? (i % 2 == 0 ? a : b).addToken(names[i], ["--read-only"])
            lock.withLock { made[i] = token }
        }
        #expect(made.allSatisfy { $0 != nil }, "\(made)")
        let list = try a.riker(["tokens:list"]).output
        for name in names { #expect(list.contains(name), "\(name) lost: \(list)") }
        for (i, token) in made.enumerated() {
            guard let token else { continue }
            #expect(try (i % 2 == 0 ? apiB : apiA).get("/api/apps", token: token).status == 200)
        }

        // An older Riker's ROOT/tokens.json is moved into the store by the next tokens verb, which says so.
        let legacy = "riker_" + String(repeating: "ab", count: 32)
        let file = b.root.appendingPathComponent("tokens.json")
        let old = #"[{"name":"legacy","sha256":"\#(sha256Hex(legacy))","apps":[],"read_only":true,"created_at":"2026-01-01T00:00:00Z"}]"#
        try AtomicFile.write(Data(old.utf8), to: file, mode: 0o600)
        let listed = try b.riker(["tokens:list"])
        #expect(listed.succeeded && listed.output.contains("Moved 1 API token") && listed.output.contains("legacy"), "\(listed.output)")
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(FileManager.default.fileExists(atPath: file.path + ".imported"))
        #expect(try apiA.get("/api/apps", token: legacy).status == 200)
    }
}
