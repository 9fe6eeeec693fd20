import Foundation
import Logging
import RikerCore
import RikerRelease

extension BuildScheduler {
    /// Runs one build for `batch` (deliveries of one app env) and completes them in the queue.
    func build(_ batch: [ReceivedDelivery]) async {
        let ids = batch.map(\.delivery.id)
        let deliveries = batch.map(\.delivery)
        let lead = deliveries.max { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }!
        var log = logger
        log[metadataKey: "app"] = .string(lead.app)
        log[metadataKey: "env"] = .string(lead.env)
        log[metadataKey: "build"] = .string(lead.buildID)

        let started = await mark(deliveries, lead: lead) { r in r.status = .running; r.startedAt = Date() }
        let output = logs.open(started[0])
        if deliveries.count > 1 {
            output.step("Building \(deliveries.count) deliveries of \(lead.branch) as one build")
        }
        log.info("build started", metadata: ["deliveries": .string(ids.joined(separator: ","))])

        var commit: String?
        let outcome: (BuildRecord) -> BuildRecord
        do {
            guard let settings = try await store.app(lead.app)?.settings else {
                throw RikerError(.notFound, "app \(lead.app) no longer exists")
            }
            let repo = settings.settings["webhook.repo"].flatMap { $0.isEmpty ? nil : $0 } ?? lead.cloneURL
            guard let repo else {
                throw RikerError(.invalidInput, "no repository to fetch: apps:set \(lead.app) webhook.repo=URL")
            }
            output.step("Fetching \(lead.branch)")
            // App envs of one app build in parallel but share the app's repository: one fetch at a time.
            let tip = try await fetchLocks.withLock(lead.app) {
                try await fetcher.fetch(FetchRequest(app: lead.app, branch: lead.branch, repositoryURL: repo))
            }
            commit = tip
            await mark([lead], lead: lead) { r in r.commit = tip }
            if try await deployedCommit(app: lead.app, env: lead.env) == tip {
                output.step("\(tip.prefix(7)) is already deployed to \(lead.env): nothing to build")
                outcome = { r in var r = r; r.status = .succeeded; r.note = "commit \(tip.prefix(7)) is already deployed to \(lead.env)"; return r }
            } else {
                await statuses.report(.pending, app: lead.app, env: lead.env, repository: lead.repository, commit: tip, build: lead.buildID, description: "Riker is building \(lead.env)")
                let job = BuildJob(buildID: lead.buildID, coalesced: deliveries.map(\.buildID).filter { $0 != lead.buildID },
                                   app: lead.app, env: lead.env, branch: lead.branch, ref: lead.ref, commit: tip,
                                   deliveries: ids, createdBy: "github:\(lead.pusher ?? "webhook")", output: output)
                let result = try await runner.run(job)
                await statuses.report(.success, app: lead.app, env: lead.env, repository: lead.repository, commit: tip, build: lead.buildID,
                                      description: "Deployed to \(lead.env)" + (result.release.map { " as \($0)" } ?? ""))
                outcome = { r in var r = r; r.status = .succeeded; r.release = result.release; return r }
            }
            log.info("build succeeded", metadata: ["commit": .string(tip)])
        } catch where Task.isCancelled {
            // The server is going down hard: not an outcome. The deliveries stay in the queue
            // and are built again after the restart.
            output.error("build interrupted: the server is stopping")
            log.warning("build interrupted; it runs again after a restart")
            await mark(deliveries, lead: lead) { r in r.status = .queued; r.startedAt = nil; r.note = "interrupted by a server stop; builds again at restart" }
            for item in batch { await queue.release(item) }
            return
        } catch {
            let reason = output.masking(error.userMessage)
            output.error(reason)
            if let commit {
                await statuses.report(.failure, app: lead.app, env: lead.env, repository: lead.repository, commit: commit, build: lead.buildID,
                                      description: String(reason.prefix(140)))
            }
            log.error("build failed", metadata: ["error": .string(reason)])
            outcome = { r in var r = r; r.status = .failed; r.error = reason; return r }
        }
        // The log is stored before the record says the build is over, so a finished build's log is there.
        await logs.finish(started[0], output: output)
        let finished = await mark(deliveries, lead: lead) { r in r.commit = commit; r = outcome(r); r.finishedAt = Date() }
        for item in batch {
            do { try await queue.complete(item) } catch {
                log.error("cannot complete a delivery in the queue", metadata: ["delivery": .string(item.delivery.id), "error": .string(error.userMessage)])
            }
        }
        if let observer { for r in finished { await observer.buildFinished(r) } }
    }

    /// Applies `change` to the record of every delivery of a build (creating missing ones),
    /// the others pointing at the lead's. Returns the records, the lead's first.
    @discardableResult
    private func mark(_ deliveries: [Delivery], lead: Delivery, _ change: (inout BuildRecord) -> Void) async -> [BuildRecord] {
        var out: [BuildRecord] = []
        for d in [lead] + deliveries.filter({ $0.buildID != lead.buildID }) {
            var r = (try? await records.get(app: d.app, id: d.buildID)) ?? BuildRecord(queued: d)
            r.coalescedInto = d.buildID == lead.buildID ? nil : lead.buildID
            change(&r)
            do { try await records.save(r) } catch {
                logger.error("cannot save a build record", metadata: ["build": .string(r.id), "error": .string(error.userMessage)])
            }
            out.append(r)
        }
        return out
    }

    /// The commit of the app env's current release, if any.
    func deployedCommit(app: String, env: String) async throws -> String? {
        guard let v = try await store.current(app, env).version else { return nil }
        return try await store.release(app, env, v)?.commit
    }
}
