import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RikerCore

/// `POST /hooks/github/APP`: GitHub push webhooks (DESIGN.md §7).
///
/// In order, before anything is built: the app is looked up from the URL (unknown → 404,
/// no `webhook.secret` → 403), the declared size checked (over 25 MB → 413, body unread),
/// the body read up to the limit (413 as soon as it grows past it), the
/// `X-Hub-Signature-256` checked in constant time against the raw bytes (missing or wrong →
/// 401), and only then the body parsed (`application/json` or form `payload=`; malformed →
/// 400). `ping` → 200; other events → 202 ignored; a push of a tag, a deleted branch or a
/// branch mapping to no environment → 202 with the reason, nothing queued; any other push is
/// recorded in the `DeliveryQueue` and answered 202 with its build id, or 200
/// `{"duplicate": true}` when its delivery id was accepted before.
public struct GitHubWebhookRoutes: HTTPRoutes {
    public let apps: any WebhookAppSource
    public let queue: any DeliveryQueue
    /// Where the accepted delivery's queued build record goes (nil: the scheduler writes it).
    public let records: BuildRecords?
    public var maxBodySize = WebhookBody.maxSize
    let logger: Logger

    static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!
    static let eventHeader = HTTPField.Name("X-GitHub-Event")!
    static let deliveryHeader = HTTPField.Name("X-GitHub-Delivery")!

    public init(apps: any WebhookAppSource, queue: any DeliveryQueue, records: BuildRecords?, logger: Logger) {
        self.apps = apps; self.queue = queue; self.records = records; self.logger = logger
    }

    public func register(on router: Router<ServerRequestContext>) {
        router.post("/hooks/github/:app") { request, context in
            try await handle(request, app: context.parameters.get("app") ?? "")
        }
    }

    /// The answers' body: only the fields that apply are sent.
    struct Reply: Encodable {
        var ok: Bool?
        var message: String?
        var ignored: String?
        var duplicate: Bool?
        var build: String?
        var app: String?
        var env: String?
        var branch: String?
        var commit: String?
        var delivery: String?
    }

    func handle(_ request: Request, app name: String) async throws -> Response {
        // Refusals before the body is read close the connection, so the body is never read.
        guard AppName.isValid(name) else {
            throw APIError(.notFound, "no such app: app names are a-z, 0-9 and '-'", closeConnection: true)
        }
        guard let app = try await apps.webhookApp(name) else {
            throw APIError(.notFound, "app \(name) does not exist", closeConnection: true)
        }
        guard let secret = app.secret else {
            throw APIError(.forbidden, "app \(name) has no webhook secret, so it accepts no webhooks: apps:set \(name) webhook.secret=SECRET", closeConnection: true)
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodySize {
            throw Self.tooLarge(maxBodySize)
        }
        guard let signature = request.headers[Self.signatureHeader] else {
            throw APIError(.unauthorized, "missing X-Hub-Signature-256 header: set the webhook's secret on GitHub", closeConnection: true)
        }
        guard let body = try await WebhookBody.collect(request.body, limit: maxBodySize) else { throw Self.tooLarge(maxBodySize) }
        guard WebhookSignature.isValid(signature, body: body, secret: secret) else {
            throw APIError(.unauthorized, "X-Hub-Signature-256 does not match the body: the secret on GitHub must equal webhook.secret of \(name)")
        }

        // From here on the body is GitHub's, byte for byte.
        let event = request.headers[Self.eventHeader] ?? ""
        let deliveryID = request.headers[Self.deliveryHeader].flatMap(DeliveryID.sanitized)
        var log = logger
        log[metadataKey: "app"] = .string(name)
        if let deliveryID { log[metadataKey: "delivery"] = .string(deliveryID) }
        switch event {
        case "ping":
            let ping = try PingEvent.parse(try WebhookBody.json(from: body, contentType: request.headers[.contentType]))
            log.info("webhook ping", metadata: ["hook": .string(ping.hookID.map(String.init) ?? "?")])
            return JSONResponse.make(.ok, Reply(ok: true, message: "pong: \(name) receives GitHub pushes here", app: name, delivery: deliveryID))
        case "push":
            return try await push(body: body, contentType: request.headers[.contentType], app: app, deliveryID: deliveryID, log: log)
        case "":
            throw APIError(.badRequest, "missing X-GitHub-Event header")
        default:
            let shown = event.prefix(40).filter { $0.isLetter || $0 == "_" }
            log.info("webhook event ignored", metadata: ["event": .string(String(shown))])
            return JSONResponse.make(.accepted, Reply(ignored: "event '\(shown)' is not handled: Riker builds on push events", delivery: deliveryID))
        }
    }

    func push(body: [UInt8], contentType: String?, app: WebhookApp, deliveryID: String?, log: Logger) async throws -> Response {
        guard let deliveryID else { throw APIError(.badRequest, "missing or invalid X-GitHub-Delivery header (a GUID)") }
        let push = try PushEvent.parse(try WebhookBody.json(from: body, contentType: contentType))
        let branch: String
        switch push.intent {
        case .ignore(let reason):
            log.info("push ignored", metadata: ["reason": .string(reason)])
            return JSONResponse.make(.accepted, Reply(ignored: reason, delivery: deliveryID))
        case .build(let b):
            branch = b
        }
        guard let env = app.settings.environment(forBranch: branch), AppName.isValid(env) else {
            let reason = "branch \(branch) maps to no environment: nothing to deploy (apps:set \(app.name) branch.\(branch)=ENV to deploy it)"
            log.info("push ignored", metadata: ["reason": .string(reason)])
            return JSONResponse.make(.accepted, Reply(ignored: reason, branch: branch, delivery: deliveryID))
        }
        let delivery = Delivery(id: deliveryID, app: app.name, env: env, branch: branch, ref: push.ref, commit: push.after,
                                repository: push.repository?.fullName, cloneURL: push.repository?.cloneURL,
                                pusher: push.pusher?.name, buildID: BuildID.make())
        switch try await queue.enqueue(delivery) {
        case .duplicate(let earlier):
            log.info("redelivery of an accepted delivery", metadata: ["build": .string(earlier.buildID)])
            return JSONResponse.make(.ok, Reply(duplicate: true, build: earlier.buildID, delivery: deliveryID))
        case .accepted:
            if let records {
                // The scheduler may already have marked it running: never overwrite that.
                do {
                    try await records.store.put(BuildRecords.key(app.name, delivery.buildID), try JSONCoding.encode(BuildRecord(queued: delivery)), condition: .ifAbsent)
                } catch let e as RikerError where e.code == .preconditionFailed {
                } catch {
                    log.warning("cannot save the queued build record; the build will write it", metadata: ["error": .string(error.userMessage)])
                }
            }
            log.info("push accepted", metadata: ["env": .string(env), "branch": .string(branch), "commit": .string(push.after), "build": .string(delivery.buildID)])
            return JSONResponse.make(.accepted, Reply(build: delivery.buildID, app: app.name, env: env, branch: branch, commit: push.after, delivery: deliveryID))
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body larger than \(limit / 1024 / 1024) MB: GitHub sends no larger deliveries", closeConnection: true)
    }
}
