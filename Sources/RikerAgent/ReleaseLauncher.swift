import Foundation
import Logging
import RikerCore
import RikerLogs
import RikerRelease

/// Installing and checking a release: onto disk (`ReleaseInstaller`), its formation's processes
/// started beside the running release, then `web` checked over HTTP (`WebHealthCheck`) and every
/// other process given `Formation.settleSeconds` to stay up. Only a release that passes is
/// switched to. A process other than `web` that exits after its settle time is restarted with
/// backoff, as on the running release, and does not fail the release.
struct ReleaseLauncher {
    let installer: ReleaseInstaller
    let imageInstaller: ImageInstaller
    let paths: AgentDirectory
    let registry: ProcessRegistry
    let probe: any HealthProbe
    let clock: any Clock<Duration>
    /// The unprivileged user slug processes run as (nil: the agent's own, when it cannot switch).
    let user: AppUser?
    let logger: Logger
    /// Where the release's processes' output goes (the agent's stream).
    var logs: LogStream?
    /// How often a starting release is looked at (its processes, its next health check).
    static let tick: Duration = .milliseconds(50)
    /// Lines of a health check's answer body a failure report shows.
    static let bodyLines = 10

    /// Thrown when the agent is told to stop while a release is being checked.
    struct Stopped: Error {}

    /// A release that did not start, with the output that explains it.
    struct Failure: Error, LocalizedError {
        var report: FailureReport
        var errorDescription: String? { report.summary }
    }

    /// Installs, starts and checks `release`. On failure its processes are stopped and the
    /// error (a `Failure` when a process exited or the check failed) says why, with up to
    /// `settings.failureLines` of the process's output. `whileWaiting` runs between checks
    /// (the agent keeps supervising the running release); `isStopping` aborts.
    func launch(_ release: Release, settings: DeploySettings, whileWaiting: () async -> Void,
                isStopping: () -> Bool) async throws -> any StartedRelease {
        let new: any StartedRelease
        if release.image != nil {
            new = ContainerRelease(release: release, image: try await imageInstaller.install(release), paths: paths, logs: logs)
        } else {
            let dir = try await PhaseTrace.measure("agent.install-files") { try await installer.install(release, for: user) }
            new = try RunningRelease(release: release, directory: dir, paths: paths, user: user, logs: logs)
        }
        let check = WebHealthCheck(release: release, settings: settings)
        if let port = new.webPort {
            new.healthURL = "http://127.0.0.1:\(port)" + check.path
        }
        do {
            try await PhaseTrace.measure("agent.start-processes") { try new.start(registry: registry) }
            try await PhaseTrace.measure("agent.health-check") {
                try await waitStarted(new, check: check, failureLines: settings.failureLines, whileWaiting: whileWaiting, isStopping: isStopping)
            }
            new.webHealthy = true
        } catch {
            await new.stop(grace: 1, registry: registry)
            throw error
        }
        return new
    }

    /// Waits until `web` passes `check` and every other process has stayed up through its settle
    /// time. `web` exiting, or another process exiting before its settle time, fails at once.
    private func waitStarted(_ r: any StartedRelease, check: WebHealthCheck, failureLines: Int, whileWaiting: () async -> Void,
                             isStopping: () -> Bool) async throws {
        let waited = Stopwatch(clock)
        let others = r.processes.contains { $0.type != "web" }
        var webPassed = r.healthURL == nil
        var attempts = 0
        var nextAttempt = check.initialDelay
        var lastAnswer: HealthAnswer?
        var lastError: String?
        while true {
            if isStopping() { throw Stopped() }
            let settled = waited.elapsed.seconds >= Formation.settleSeconds
            try checkExits(r, settled: settled, failureLines: failureLines)
            if webPassed && (settled || !others) { return }

            if !webPassed, let url = r.healthURL, waited.elapsed.seconds >= nextAttempt {
                attempts += 1
                let left = check.deadline - waited.elapsed.seconds
                do {
                    let answer = try await probe.check(url, timeout: min(check.attemptTimeout, max(0.2, left)))
                    if answer.passed && check.content.map({ String(decoding: answer.body, as: UTF8.self).contains($0) }) ?? true {
                        webPassed = true
                        r.webHealthy = true
                        continue
                    }
                    lastAnswer = answer
                } catch {
                    lastError = error.userMessage
                }
                nextAttempt = waited.elapsed.seconds + check.wait
                if let most = check.attempts, attempts >= most {
                    throw healthFailure(r, check: check, url: url, answer: lastAnswer, error: lastError, failureLines: failureLines,
                                        after: "\(attempts) attempt\(attempts == 1 ? "" : "s")")
                }
            }
            if !webPassed, waited.exceeded(check.deadline), let url = r.healthURL {
                throw healthFailure(r, check: check, url: url, answer: lastAnswer, error: lastError, failureLines: failureLines,
                                    after: "\(Int(check.deadline))s")
            }
            await whileWaiting()
            try? await clock.sleep(for: Self.tick)
        }
    }

    /// `web`, and any process still in its settle time, fails the release when it exits; other
    /// processes are restarted after their backoff.
    private func checkExits(_ r: any StartedRelease, settled: Bool, failureLines: Int) throws {
        for p in r.processes {
            if p.type == "web" || !settled {
                guard p.isWaitingForRestart == false, let status = p.child?.poll() else { continue }
                let during = p.type == "web" ? "the health check" : "its first \(Int(Formation.settleSeconds))s"
                // The note also takes in all the process wrote, so the tail is complete.
                p.note("\(p.name) exited (\(status)) during \(during)")
                throw Failure(report: FailureReport(summary: "\(p.name) of \(r.release.name) exited (\(status)) during \(during)",
                                                    lines: Self.tail(of: p, lines: failureLines)))
            }
            if let status = p.checkExited(registry: registry) {
                logger.warning("\(p.name) of \(r.release.name) exited (\(status)) after its settle time; restarting in \(Int(p.backoff))s")
            }
            if p.dueForRestart() {
                do { try p.restart(registry: registry) } catch { logger.error("cannot restart \(p.name): \(error.userMessage)") }
            }
        }
    }

    private func healthFailure(_ r: any StartedRelease, check: WebHealthCheck, url: String, answer: HealthAnswer?, error: String?,
                               failureLines: Int, after: String) -> Failure {
        let request = "GET \(check.path)" + (check.source == "deploy.health_path" ? "" : " (\(check.source))")
        var lines: [String] = []
        let got: String
        if let answer {
            let contentMissing = answer.passed && check.content != nil
            got = contentMissing ? "answered HTTP \(answer.status) without '\(check.content!.prefix(60))'" : "answered HTTP \(answer.status)"
            let body = String(decoding: answer.body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if !body.isEmpty {
                lines.append("\(request) answered HTTP \(answer.status); the body's first lines:")
                lines += body.prefix(Self.bodyLines).map { "  " + $0 }
            }
        } else {
            got = "got no answer" + (error.map { " (\($0.prefix(200)))" } ?? "")
        }
        let web = r.web
        lines += Self.tail(of: web, lines: failureLines)
        return Failure(report: FailureReport(
            summary: "\(web?.name ?? "web") of \(r.release.name) did not pass its health check \(request) within \(after): it \(got)",
            lines: lines))
    }

    /// `NAME's last N lines:` and the lines, indented; nothing when it wrote nothing.
    static func tail(of p: AppProcess?, lines: Int) -> [String] {
        guard let p else { return [] }
        let tail = p.logTail(lines: lines)
        guard !tail.isEmpty else { return ["\(p.name) wrote nothing"] }
        return ["\(p.name)'s last \(tail.count == 1 ? "line" : "\(tail.count) lines"):"] + tail.map { "  " + $0 }
    }
}
