import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// API tokens: made by an admin verb, shown once, kept hashed, refused when absent or wrong.
@Suite struct APITokenTests {
    @Test func tokensAreShownOnceStoredHashedAndCheckedOnEveryCall() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let api = APIClient(server: server)
        #expect(try server.riker(["apps:create", "mine"]).succeeded)
        #expect(try server.riker(["apps:create", "theirs"]).succeeded)

        let all = try server.addToken("ci")
        let scoped = try server.addToken("mine-ci", ["--app", "mine", "--read-only"])
        #expect(all != scoped)
        // Kept as a SHA-256 hash in the store (a 0600 file of the local store); the token itself is nowhere on disk or in a listing.
        let file = server.root.appendingPathComponent("store/tokens.json")
        let stored = try String(contentsOf: file, encoding: .utf8)
        #expect(!stored.contains(all) && !stored.contains(scoped))
        #expect(stored.contains(sha256Hex(all)))
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let list = try server.riker(["tokens:list"])
        #expect(list.succeeded && list.output.contains("mine-ci") && list.output.contains("read-only"), "\(list.output)")
        #expect(!list.output.contains(all) && !list.output.contains(scoped))
        let again = try server.riker(["tokens:add", "ci"])
        #expect(!again.succeeded && again.output.contains("a token named ci exists"), "\(again.output)")

        // Over SSH as any admin verb: the admin key may, an app key may not.
        #expect(try server.ssh("tokens:list").output.contains("mine-ci"))
        let dev = try RikerServer.makeKey(in: server.dir.url, name: "dev")
        try server.addKey(name: "dev", key: dev, admin: false, apps: ["mine"])
        let refused = try server.ssh("tokens:add sneaky", key: dev)
        #expect(!refused.succeeded && refused.output.contains("may not run tokens:add"), "\(refused.output)")
        #expect(!(try server.riker(["tokens:list"]).output.contains("sneaky")))

        // No token, another scheme, a wrong token: 401 with a JSON error and WWW-Authenticate.
        for answer in [try api.get("/api/apps", token: nil),
                       try api.call("GET", "/api/apps", token: nil, authorization: "Basic YWRtaW46YWRtaW4="),
                       try api.get("/api/apps", token: all + "x"),
                       try api.get("/api/apps", token: "riker_" + String(repeating: "0", count: 64))] {
            #expect(answer.status == 401, "\(answer)")
            #expect(!answer.error.isEmpty, "\(answer)")
            #expect(answer.headers.lowercased().contains("www-authenticate: bearer"), "\(answer.headers)")
        }
        // A token sees the apps it covers.
        let everything = try api.get("/api/apps", token: all)
        #expect(everything.status == 200)
        #expect(appNames(everything) == ["mine", "theirs"], "\(everything)")
        #expect(appNames(try api.get("/api/apps", token: scoped)) == ["mine"])
        #expect(try api.get("/api/apps/theirs", token: scoped).status == 403)

        // Removed: refused at once by the running server.
        #expect(try server.riker(["tokens:remove", "ci"]).succeeded)
        #expect(try api.get("/api/apps", token: all).status == 401)
        #expect(try api.get("/api/apps", token: scoped).status == 200)
        let gone = try server.riker(["tokens:remove", "ci"])
        #expect(!gone.succeeded && gone.output.contains("no token named ci"), "\(gone.output)")
        #expect(!server.log(of: "serve.log").contains(scoped))

        // A ROOT/tokens.json an older Riker left is moved into the store when serve starts.
        let legacy = "riker_" + String(repeating: "cd", count: 32)
        let old = #"[{"name":"legacy","sha256":"\#(sha256Hex(legacy))","apps":["mine"],"read_only":true,"created_at":"2026-01-01T00:00:00Z"}]"#
        try AtomicFile.write(Data(old.utf8), to: server.root.appendingPathComponent("tokens.json"), mode: 0o600)
        try server.restartServe()
        #expect(appNames(try api.get("/api/apps", token: legacy)) == ["mine"])
        #expect(server.log(of: "serve.log").contains("moved 1 API token(s)"))
        #expect(FileManager.default.fileExists(atPath: server.root.appendingPathComponent("tokens.json.imported").path))
    }

    func appNames(_ answer: APIClient.Answer) -> [String] {
        ((answer.json["apps"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }
}

/// Hex SHA-256, as the token file keeps it.
func sha256Hex(_ text: String) -> String {
    let r = try? sh("sh", ["-c", "printf %s \"$T\" | sha256sum"], env: ["T": text])
    return String(r?.output.prefix(64) ?? "")
}
