import Foundation
import Hummingbird
import RikerCore
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import Testing

/// The HTTP service itself: body limits enforced without reading the body, the request log,
/// graceful shutdown, TLS and the `--listen` option.
@Suite(.timeLimit(.minutes(3))) struct HTTPServiceTests {
    func headers(contentLength: Int? = nil, chunked: Bool = false) -> String {
        var h = "POST /hooks/github/web HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        h += "X-GitHub-Event: push\r\nX-GitHub-Delivery: \(UUID().uuidString.lowercased())\r\n"
        h += "X-Hub-Signature-256: sha256=\(String(repeating: "0", count: 64))\r\n"
        if let contentLength { h += "Content-Length: \(contentLength)\r\n" }
        if chunked { h += "Transfer-Encoding: chunked\r\n" }
        return h + "\r\n"
    }

    @Test func aBodyDeclaredOver25MBIsRefusedBeforeItIsSent() async throws {
        try await withHarness { h in
            try await h.start()
            let port = h.port
            let (text, closed) = try await blocking {
                let c = try RawHTTP(port: port)
                // Only the head goes out: the server answers without a single body byte.
                c.send(self.headers(contentLength: 26 * 1024 * 1024))
                return c.readToEnd()
            }
            #expect(RawHTTP.status(text) == 413, "\(text)")
            #expect(text.contains(#""error""#))
            #expect(closed, "the server ends the connection instead of waiting for the body")
            #expect(try SpoolDeliveryQueue(directory: h.paths.webhookSpool).unfinished.isEmpty)
        }
    }

    @Test func aStreamedBodyIsRefusedAsSoonAsItPasses25MB() async throws {
        try await withHarness { h in
            try await h.start()
            let port = h.port
            let (text, closed) = try await blocking {
                let c = try RawHTTP(port: port)
                c.send(self.headers(chunked: true))
                let chunk = Data(repeating: UInt8(ascii: "x"), count: 1024 * 1024)
                for _ in 0..<25 { c.send("\(String(chunk.count, radix: 16))\r\n"); c.send(chunk); c.send("\r\n") }
                c.send("1\r\nx\r\n")
                // The body never ends (no last chunk): the answer can only come from the limit.
                return c.readToEnd()
            }
            #expect(RawHTTP.status(text) == 413, "\(text)")
            #expect(closed)
        }
    }

    @Test func theRequestLogHasMetadataAndNeverTheSecret() async throws {
        try await withHarness { h in
            let commit = try await h.source.commit("one")
            try await h.start()
            let id = UUID().uuidString.lowercased()
            _ = try await h.deliver(try h.push(ref: "refs/heads/main", after: commit), delivery: id)
            _ = try await h.deliver(try h.push(ref: "refs/heads/main", after: commit), secret: "wrong")
            _ = try await h.deliver(try WebhookHarness.payload("ping-payload.json"), event: "ping")
            _ = try await h.deliver(Data("{".utf8))
            _ = try await h.deliver(Data("{}".utf8), app: "quiet")
            await h.finished.waitFor(1)
            try await h.stop()

            let log = h.log.text
            #expect(log.contains("delivery=\(id)"), "the request log names the delivery")
            #expect(log.contains("http.status=202") && log.contains("http.status=401") && log.contains("http.status=403"))
            #expect(log.contains("http.method=POST") && log.contains("http.path=/hooks/github/web") && log.contains("duration_ms="))
            #expect(!log.contains(WebhookHarness.secret), "the webhook secret leaked into the log")
            // Nor in any file riker serve wrote outside the store's app settings.
            for dir in [h.paths.webhookSpool, h.paths.tmpDir, h.paths.localStore.appendingPathComponent("builds")] {
                let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
                for f in files where !f.hasDirectoryPath {
                    let content = (try? String(contentsOf: f, encoding: .utf8)) ?? ""
                    #expect(!content.contains(WebhookHarness.secret), "secret in \(f.path)")
                }
            }
        }
    }

    /// A route that holds its request until the test lets it go.
    final class HeldRoute: HTTPRoutes, @unchecked Sendable {
        let entered = AsyncStream.makeStream(of: Void.self)
        let gate = AsyncStream.makeStream(of: Void.self)

        func register(on router: Router<ServerRequestContext>) {
            router.get("/test/held") { _, _ -> Response in
                self.entered.continuation.yield()
                for await _ in self.gate.stream { break }
                return JSONResponse.make(.ok, ["done": true])
            }
        }
    }

    @Test func gracefulShutdownFinishesRequestsAlreadyAccepted() async throws {
        try await withHarness { h in
            let held = HeldRoute()
            try await h.start(extraRoutes: [held])
            let port = h.port
            async let answer = h.get("/test/held")
            for await _ in held.entered.stream { break }

            async let stopped: Void = h.stop()
            // Wait until the server takes no new connections: shutdown has begun.
            while (try? RawHTTP(port: port)) != nil { try await Task.sleep(nanoseconds: 20_000_000) }
            held.gate.continuation.yield()
            let a = try await answer
            #expect(a.status == 200, "\(a.text)")
            #expect(a["done"] as? Bool == true)
            try await stopped
        }
    }

    @Test func servesHTTPSWithTheGivenCertificate() async throws {
        let temp = try TempDir("riker-tls")
        defer { temp.remove() }
        let cert = temp.path("cert.pem"), key = temp.path("key.pem")
        let made = try sh("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", cert.path,
                                      "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        try #require(made.succeeded, "\(made)")
        let store = LocalReleaseStore(directory: temp.path("store"))
        let service = HTTPService(configuration: try HTTPServiceConfiguration(listen: "127.0.0.1:0", tlsCertificate: cert.path, tlsKey: key.path),
                                  routes: [BuildRoutes(records: BuildRecords(store: store), auth: BearerAuth(tokens: TokenRing(store: store)))], logger: CapturedLog().logger())
        let task = Task { try await service.run() }
        defer { task.cancel() }
        let port = try #require(await service.listeningPort())
        let answer = try await blocking {
            try sh("curl", ["-sS", "--cacert", cert.path, "-w", " %{http_code}", "https://127.0.0.1:\(port)/apps/web/builds"])
        }
        #expect(answer.output.hasSuffix(" 401"), "\(answer)")
        #expect(answer.output.contains(#""error""#))
        let plain = try await blocking { try sh("curl", ["-sS", "-m", "20", "http://127.0.0.1:\(port)/apps/web/builds"]) }
        #expect(!plain.succeeded, "plain HTTP on the TLS port: \(plain)")
        task.cancel()
        _ = try? await task.value
    }

    @Test func refusesUnreadableTLSFiles() async throws {
        let service = HTTPService(configuration: try HTTPServiceConfiguration(listen: "127.0.0.1:0", tlsCertificate: "/nonexistent/cert.pem", tlsKey: "/nonexistent/key.pem"),
                                  logger: CapturedLog().logger())
        await #expect(throws: RikerError.self) { try await service.run() }
        #expect(await service.listeningPort() == nil)
    }

    @Test func parsesListenAddresses() throws {
        #expect(try HTTPServiceConfiguration.parseListen("127.0.0.1:5050") == ("127.0.0.1", 5050))
        #expect(try HTTPServiceConfiguration.parseListen(":8080") == ("0.0.0.0", 8080))
        #expect(try HTTPServiceConfiguration.parseListen("[::1]:9000") == ("::1", 9000))
        let defaults = try HTTPServiceConfiguration(listen: nil)
        #expect(defaults.host == "127.0.0.1" && defaults.port == 5050 && !defaults.usesTLS)
        for bad in ["5050", "host:", "host:99999", "host:abc", "a b:1"] {
            #expect(throws: RikerError.self) { try HTTPServiceConfiguration.parseListen(bad) }
        }
        #expect(throws: RikerError.self) { try HTTPServiceConfiguration(listen: nil, tlsCertificate: "c.pem") }
    }
}
