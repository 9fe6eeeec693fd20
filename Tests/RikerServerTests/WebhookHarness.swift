import Foundation
import Logging
import RikerCore
import RikerHTTP
import RikerRelease
@testable import RikerServer
import RikerTestSupport
import ServiceLifecycle

/// A Riker root with one app (`web`: a webhook secret, `branch.staging=staging`, its
/// `webhook.repo` a local git repository) and the webhook server running on a free
/// 127.0.0.1 port, with a recording build runner and real git fetches.
final class WebhookHarness: @unchecked Sendable {
    static let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
    let temp: TempDir
    let paths: RikerPaths
    let store: LocalReleaseStore
    let source: SourceRepo
    let runner: RecordingRunner
    let finished = FinishedBuilds()
    let log = CapturedLog()
    /// A read-only API token of every app (in the store), sent by `get` unless told otherwise.
    private(set) var readToken = ""
    private(set) var port = 0
    private var group: ServiceGroup?
    private var task: Task<Void, Error>?
    private(set) var server: WebhookServer?

    init() async throws {
        temp = try TempDir("riker-webhook")
        paths = RikerPaths(root: temp.path("root"))
        store = LocalReleaseStore(directory: paths.localStore)
        source = try await SourceRepo(temp.path("source"))
        runner = RecordingRunner(store: store)
        try await store.createApp(AppSettings(name: "web", settings: [
            "webhook.secret": Self.secret, "webhook.repo": source.url, "branch.staging": "staging",
        ]))
        try await store.createApp(AppSettings(name: "quiet"))
        readToken = try await TokenRing(store: store).add(name: "reader", apps: [], readOnly: true).secret
    }

    /// Starts the server (HTTP only when `builds` is false, as if it died before building).
    func start(builds: Bool = true, extraRoutes: [any HTTPRoutes] = [], runner custom: (any BuildRunner)? = nil) async throws {
        // No idle timeout within a test's life: a connection the server ends is ended on purpose.
        var http = HTTPServiceConfiguration(host: "127.0.0.1", port: 0)
        http.idleTimeout = 3600
        let server = try WebhookServer(
            http: http, paths: paths, store: store,
            fetcher: GitCLIFetcher(paths: paths), runner: custom ?? runner, observer: finished, logger: log.logger())
        for r in extraRoutes { server.http.add(r) }
        let group = ServiceGroup(configuration: .init(services: builds ? server.services : [server.http], logger: log.logger("riker.group")))
        self.server = server
        self.group = group
        task = Task { try await group.run() }
        guard let p = await server.http.listeningPort() else { throw RikerError(.io, "the server did not start: \(log.text.suffix(2000))") }
        port = p
    }

    /// Stops the server gracefully and waits until it has.
    func stop() async throws {
        await group?.triggerGracefulShutdown()
        try await task?.value
        group = nil; task = nil
    }

    func finish() async {
        try? await stop()
        temp.remove()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    struct Answer {
        var status: Int
        var json: [String: Any]
        var text: String
        subscript(_ key: String) -> Any? { json[key] }
        func string(_ key: String) -> String? { json[key] as? String }
    }

    /// POSTs a delivery signed like GitHub signs (unless `signature` is given; "" sends none).
    func deliver(_ body: Data, event: String = "push", delivery: String = UUID().uuidString.lowercased(), app: String = "web",
                 contentType: String = "application/json", signature: String? = nil, secret: String = WebhookHarness.secret) async throws -> Answer {
        var headers = [
            "Content-Type": contentType, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
            "X-GitHub-Hook-ID": "292430182", "User-Agent": "GitHub-Hookshot/044aadd",
        ]
        let sig = signature ?? WebhookSignature.sign(body: body, secret: Array(secret.utf8))
        if !sig.isEmpty { headers["X-Hub-Signature-256"] = sig }
        return try await request("POST", "/hooks/github/\(app)", headers: headers, body: body)
    }

    /// GET `path` with `Authorization: Bearer` `token` (nil: `readToken`; "": no header).
    func get(_ path: String, token: String? = nil) async throws -> Answer {
        let token = token ?? readToken
        return try await request("GET", path, headers: token.isEmpty ? [:] : ["Authorization": "Bearer \(token)"])
    }

    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Answer {
        let req = HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body.map { .data($0) } ?? .none, timeout: 60)
        let response = try await blocking { try HTTPClient.perform(req) }
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        return Answer(status: response.status, json: json, text: String(decoding: response.body, as: UTF8.self))
    }

    // MARK: payloads

    /// A real GitHub payload, byte for byte.
    static func payload(_ name: String) throws -> Data { try GitHubPayload.named(name) }

    /// A push payload rewritten to this test's repository (`GitHubPayload.push`).
    func push(ref: String, after: String, before: String? = nil, file: String = "push-with-new-branch.payload.json") throws -> Data {
        try GitHubPayload.push(ref: ref, after: after, before: before, cloneURL: source.url, file: file)
    }
}

/// Runs `body` with a fresh harness and always stops its server and removes its files.
func withHarness(_ body: (WebhookHarness) async throws -> Void) async throws {
    let h = try await WebhookHarness()
    do { try await body(h) } catch {
        await h.finish()
        throw error
    }
    await h.finish()
}
