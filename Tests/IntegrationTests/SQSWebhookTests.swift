import Foundation
import RikerCore
import RikerHTTP
import RikerServer
import RikerTestSupport
import Testing

/// `queue=sqs://QUEUE.fifo` in riker.conf: two real `riker serve` processes share one S3 store
/// and one SQS queue in a real moto_server; GitHub's deliveries go to either server's HTTP port,
/// and each is built by exactly one of them.
@Suite(.serialized)
struct SQSWebhookTests {
    static let secret = "hook-\(UUID().uuidString.prefix(12))"

    /// POSTs a signed push of `commit` on main to `server` with delivery id `delivery`.
    static func deliver(_ server: RikerServer, repo: AppRepo, commit: String, delivery: String) throws -> (status: Int, json: [String: Any]) {
        let body = try GitHubPayload.push(ref: "refs/heads/main", after: commit, cloneURL: "file://\(repo.url.path)")
        let r = try HTTPClient.perform(HTTPRequest(method: "POST", url: server.httpBase + "/hooks/github/web", headers: [
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": WebhookSignature.sign(body: body, secret: Array(secret.utf8)),
            "User-Agent": "GitHub-Hookshot/044aadd",
        ], body: .data(body), timeout: 30))
        return (r.status, (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] ?? [:])
    }

    /// The same or different deliveries sent to both servers at once.
    static func deliverTogether(_ sends: [(RikerServer, String)], repo: AppRepo, commit: String) -> [(status: Int, json: [String: Any])] {
        let lock = NSLock()
        var out = [(status: Int, json: [String: Any])](repeating: (0, [:]), count: sends.count)
        DispatchQueue.concurrentPerform(iterations: sends.count) { i in
            let answer = (try? deliver(sends[i].0, repo: repo, commit: commit, delivery: sends[i].1)) ?? (-1, [:])
            lock.withLock { out[i] = answer }
        }
        return out
    }

    /// A build's record (from either server: records live in the shared store) once finished.
    static func finishedBuild(_ server: RikerServer, _ id: String, token: String, others: [RikerServer], timeout: Double = 300) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let r = try? HTTPClient.perform(HTTPRequest(method: "GET", url: server.httpBase + "/builds/\(id)", headers: ["Authorization": "Bearer \(token)"], timeout: 30)), r.status == 200,
               let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any],
               let state = json["status"] as? String, state == "succeeded" || state == "failed" {
                return json
            }
            usleep(200_000)
        }
        let logs = others.map { $0.log(of: "serve.log").suffix(3000) }.joined(separator: "\n---\n")
        throw RikerError(.timeout, "build \(id) did not finish: \(logs)")
    }

    @Test func theSQSQueueWithTwoServersOnOneS3BucketBuildsEachDeliveryExactlyOnce() throws {
        let moto = try MotoServer.shared()
        let aws = AWSFixture(moto: moto)
        let queue = "riker-hooks-\(aws.tag).fifo"
        try aws.aws(["sqs", "create-queue", "--queue-name", queue, "--attributes", "FifoQueue=true,VisibilityTimeout=60"])
        let bucket = "riker-sqs-\(aws.tag)"
        var conf = try aws.s3StoreConfig(bucket: bucket, prefix: "shared")
        conf["queue"] = "sqs://\(queue)"
        let a = try RikerServer(config: conf)
        defer { a.stop() }
        let b = try RikerServer(config: conf)
        defer { b.stop() }
        let servers = [a, b]
        // Tokens live in the shared store: one made on a is good on b.
        let reader = try a.addToken("reader", ["--read-only"])

        let repo = try AppRepo(files: ["Procfile": "web: python3 -m http.server $PORT\n", "version.txt": "one\n"], in: a.dir, name: "hooked")
        #expect(try a.riker(["apps:create", "web"]).succeeded)
        let set = try a.riker(["apps:set", "web", "webhook.secret=\(Self.secret)", "webhook.repo=file://\(repo.url.path)"])
        #expect(set.succeeded, "\(set.output)")
        let commit1 = try AppRepo.git(repo.url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)

        // One delivery sent to both servers at once: one accepts it, the other answers it as a duplicate of the same build.
        let d1 = UUID().uuidString.lowercased()
        let both = Self.deliverTogether([(a, d1), (b, d1)], repo: repo, commit: commit1)
        #expect(both.map(\.status).sorted() == [200, 202], "\(both.map(\.json))")
        let build1 = try #require(both.first { $0.status == 202 }?.json["build"] as? String)
        #expect(both.first { $0.status == 200 }?.json["build"] as? String == build1)
        // Another delivery of the same commit, to the other server.
        let d2 = UUID().uuidString.lowercased()
        let second = try Self.deliver(b, repo: repo, commit: commit1, delivery: d2)
        #expect(second.status == 202, "\(second.json)")
        let build2 = try #require(second.json["build"] as? String)

        let first = try Self.finishedBuild(a, build1, token: reader, others: servers)
        #expect(first["status"] as? String == "succeeded", "\(first)")
        #expect(first["commit"] as? String == commit1)
        let again = try Self.finishedBuild(b, build2, token: reader, others: servers)
        #expect(again["status"] as? String == "succeeded", "\(again)")

        // A new commit, delivered twice (two delivery ids) to the two servers at once.
        try repo.write("version.txt", "two\n")
        let commit2 = try repo.commitAll("two")
        let d3 = UUID().uuidString.lowercased(), d4 = UUID().uuidString.lowercased()
        let pair = Self.deliverTogether([(a, d3), (b, d4)], repo: repo, commit: commit2)
        #expect(pair.map(\.status) == [202, 202], "\(pair.map(\.json))")
        for answer in pair {
            let id = try #require(answer.json["build"] as? String)
            let build = try Self.finishedBuild(b, id, token: reader, others: servers)
            #expect(build["status"] as? String == "succeeded", "\(build)")
        }

        // Exactly one release per commit in the shared store.
        let keys = try aws.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--query", "Contents[].Key"])
            .split(whereSeparator: { $0 == "\t" || $0 == "\n" }).map(String.init)
        let releases = keys.filter { $0.hasPrefix("shared/apps/web/production/releases/") && $0.hasSuffix("/release.json") }.sorted()
        #expect(releases == ["shared/apps/web/production/releases/v1/release.json", "shared/apps/web/production/releases/v2/release.json"],
                "\(releases)")
        let v1 = try aws.aws(["s3", "cp", "s3://\(bucket)/shared/apps/web/production/releases/v1/release.json", "-"])
        let v2 = try aws.aws(["s3", "cp", "s3://\(bucket)/shared/apps/web/production/releases/v2/release.json", "-"])
        #expect(v1.contains(commit1) && v2.contains(commit2))

        // Each delivery was built by one server, once: one "build started" line names it, in both logs together.
        let started = servers.flatMap { $0.log(of: "serve.log").split(separator: "\n").filter { $0.contains("build started") } }
        for d in [d1, d2, d3, d4] {
            #expect(started.filter { $0.contains(d) }.count == 1, "delivery \(d): \(started)")
        }
        // Every delivery's claim in the store is done.
        for d in [d1, d2, d3, d4] {
            let claim = try aws.aws(["s3", "cp", "s3://\(bucket)/shared/webhooks/deliveries/\(d).claim", "-"])
            #expect(claim.contains("\"done\" : true"), "\(claim)")
        }

        // The app serves the second commit.
        let info = try a.riker(["apps:info", "web", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any], "\(info.output)")
        let env = try #require((json["environments"] as? [[String: Any]])?.first { $0["env"] as? String == "production" })
        #expect(env["current"] as? Int == 2)
        let address = try #require(env["address"] as? String, "\(env)")
        let deadline = Date().addingTimeInterval(60)
        var body: String?
        while Date() < deadline {
            body = try httpGet(address + "/version.txt")?.body
            if body == "two\n" { break }
            usleep(200_000)
        }
        #expect(body == "two\n")
        for s in servers { #expect(!s.log(of: "serve.log").contains(Self.secret)) }
    }

    @Test func aBadQueueSettingStopsServeWithOneLine() throws {
        let dir = try TempDir("riker-badqueue")
        defer { dir.remove() }
        let root = dir.path("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try AtomicFile.write(Data("queue=sqs://not a queue\n".utf8), to: root.appendingPathComponent("riker.conf"), mode: 0o600)
        let r = try sh(productsDir.appendingPathComponent("riker").path, ["--root", root.path, "serve", "--listen", "127.0.0.1:0"],
                       env: ["RIKER_HOME": packageRoot().path], timeout: 60)
        #expect(!r.succeeded)
        let lines = r.output.split(separator: "\n").filter { $0.contains("queue=") }
        #expect(lines.count == 1 && lines[0].contains("riker.conf: queue=sqs://not a queue"), "\(r.output)")
    }
}
