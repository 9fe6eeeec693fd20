import Foundation
import RikerCore
import RikerHTTP
import RikerTestSupport
import Testing

@Suite(.serialized) struct HTTPClientTests {
    let server: ScriptServer
    init() throws { server = try TestHTTPServer.start() }

    struct Echo: Decodable { var method: String; var length: Int; var checksum: Int; var headers: [String: String] }

    func echo(_ r: HTTPResponse) throws -> Echo { try JSONDecoder().decode(Echo.self, from: r.body) }

    @Test func getReturnsStatusHeadersAndBody() throws {
        let r = try HTTPClient.get(server.baseURL + "/echo", headers: ["X-Custom": "one"])
        #expect(r.status == 200)
        #expect(r.headers["x-echo"] == "yes")
        #expect(r.headers["content-type"] == "application/json")
        let e = try echo(r)
        #expect(e.method == "GET")
        #expect(e.headers["x-custom"] == "one")
        #expect(e.headers["expect"] == nil)
    }

    @Test func nonSuccessStatusIsAResultNotAnError() throws {
        let r = try HTTPClient.get(server.baseURL + "/status/503")
        #expect(r.status == 503)
        #expect(String(decoding: r.body, as: UTF8.self) == "status 503\n")
    }

    @Test func connectionRefusedThrowsHTTPErrorQuickly() throws {
        let port = freePort()
        let start = Date()
        #expect {
            _ = try HTTPClient.get("http://127.0.0.1:\(port)/health", timeout: 5)
        } throws: { e in
            let re = e as? RikerError
            return re?.code == .http && re!.message.contains("127.0.0.1:\(port)") && re!.message.lowercased().contains("connect")
        }
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func timeoutThrowsHTTPError() throws {
        #expect(throws: RikerError.self) { _ = try HTTPClient.get(server.baseURL + "/slow/3", timeout: 0.5) }
    }

    @Test func putSendsDataBodyAndPostSendsEmptyBody() throws {
        let payload = Data((0..<100_000).map { UInt8($0 % 256) })
        let r = try HTTPClient.perform(HTTPRequest(method: "PUT", url: server.baseURL + "/echo", headers: ["Content-Type": "text/plain"], body: .data(payload)))
        let e = try echo(r)
        #expect(e.method == "PUT")
        #expect(e.length == payload.count)
        #expect(e.checksum == checksum(payload))
        #expect(e.headers["content-type"] == "text/plain")

        let p = try echo(try HTTPClient.perform(HTTPRequest(method: "POST", url: server.baseURL + "/echo")))
        #expect(p.method == "POST")
        #expect(p.length == 0)
        #expect(p.headers["content-length"] == "0")
    }

    @Test func bodyStreamsFromAFileRegion() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let file = dir.path("big")
        let all = Data((0..<3_000_000).map { UInt8(($0 * 7) % 256) })
        try all.write(to: file)
        let r = try HTTPClient.perform(HTTPRequest(method: "PUT", url: server.baseURL + "/echo", body: .file(file, offset: 1_000_000, length: 1_500_000)))
        let e = try echo(r)
        #expect(e.length == 1_500_000)
        #expect(e.checksum == checksum(all[1_000_000..<2_500_000]))
    }

    @Test func headAndDeleteUseTheirMethods() throws {
        let h = try HTTPClient.perform(HTTPRequest(method: "HEAD", url: server.baseURL + "/bytes/1234"))
        #expect(h.status == 200)
        #expect(h.headers["content-length"] == "1234")
        #expect(h.body.isEmpty)
        #expect(try echo(try HTTPClient.perform(HTTPRequest(method: "DELETE", url: server.baseURL + "/echo"))).method == "DELETE")
    }

    @Test func downloadStreamsIntoAFileAndObserverSeesEveryByte() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let file = dir.path("out.bin")
        try HTTPClient.download(server.baseURL + "/bytes/2000000", to: file)
        let got = try Data(contentsOf: file)
        #expect(got.count == 2_000_000)
        #expect(got[1000] == UInt8(1000 % 251))

        var seen = Data()
        let r = try HTTPConnection().perform(HTTPRequest(url: server.baseURL + "/bytes/500000"), into: .file(file, observe: { chunk in
            seen.append(contentsOf: chunk)
        }))
        #expect(r.status == 200 && r.body.isEmpty)
        #expect(seen.count == 500_000)
        #expect(seen == (try Data(contentsOf: file)))
    }

    @Test func failedDownloadLeavesTheFileUntouched() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let file = dir.path("keep.txt")
        try Data("old\n".utf8).write(to: file)
        #expect { try HTTPClient.download(server.baseURL + "/status/404", to: file) } throws: { e in
            (e as? RikerError)?.code == .http && (e as! RikerError).message.contains("404")
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "old\n")
    }

    @Test func poolReusesConnectionsAcrossConcurrentRequests() async throws {
        let pool = HTTPConnectionPool(maxIdle: 4)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 {
                group.addTask { try await pool.perform(HTTPRequest(url: server.baseURL + "/bytes/\(1000 + i)")).body.count }
            }
            var total = 0
            for try await n in group { total += n }
            #expect(total == (0..<20).reduce(0) { $0 + 1000 + $1 })
        }
    }

    @Test func unsupportedSchemeIsInvalidInput() throws {
        #expect { _ = try HTTPClient.get("ftp://127.0.0.1/x") } throws: { ($0 as? RikerError)?.code == .invalidInput }
    }
}

/// The echo server's checksum: sum of (position + 1) × byte, mod 2^61.
func checksum<D: DataProtocol>(_ data: D) -> Int {
    var sum: UInt64 = 0
    for (i, b) in data.enumerated() { sum = (sum &+ UInt64(i + 1) &* UInt64(b)) & ((1 << 61) - 1) }
    return Int(sum)
}
