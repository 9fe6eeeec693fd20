import Foundation
import Logging
import RikerCore
import RikerLogs
import RikerRelease

/// Installing and health-checking a release: onto disk (`ReleaseInstaller`), its processes
/// started beside the running release, then `web` checked over HTTP (or, without `web`,
/// every process must stay up for a second). Only a release that passes is switched to.
struct ReleaseLauncher {
    let installer: ReleaseInstaller
    let imageInstaller: ImageInstaller
    let paths: AgentDirectory
    let registry: ProcessRegistry
    let probe: any HealthProbe
    let clock: any Clock<Duration>
    /// The unprivileged user slug processes run as (nil: the agent's own, when it cannot switch).
    let user: AppUser?
    /// Where the release's processes' output goes (the agent's stream).
    var logs: LogStream?
    static let tick: Duration = .milliseconds(100)

    /// Thrown when the agent is told to stop while a release is being checked.
    struct Stopped: Error {}

    /// Installs, starts and checks `release`. On failure its processes are stopped and the
    /// error says why (with the process's last lines when one exited). `whileWaiting` runs
    /// between checks (the agent keeps supervising the running release); `isStopping` aborts.
    func launch(_ release: Release, settings: DeploySettings, whileWaiting: () async -> Void,
                isStopping: () -> Bool) async throws -> any StartedRelease {
        let new: any StartedRelease
        if release.image != nil {
            new = ContainerRelease(release: release, image: try await imageInstaller.install(release), paths: paths, logs: logs)
        } else {
            new = try RunningRelease(release: release, directory: try await installer.install(release, for: user), paths: paths, user: user,
                                     logs: logs)
        }
        if let port = new.webPort {
            new.healthURL = "http://127.0.0.1:\(port)" + settings.healthPath
        }
        do {
            try new.start(registry: registry)
            if let url = new.healthURL {
                try await waitHealthy(new, url: url, timeout: settings.timeout, whileWaiting: whileWaiting, isStopping: isStopping)
            } else {
                try await waitStaysUp(new, seconds: 1, isStopping: isStopping)
                new.webHealthy = true
            }
        } catch {
            await new.stop(grace: 1, registry: registry)
            throw error
        }
        return new
    }

    /// Polls `url` every ~100 ms until it answers 2xx/3xx. A process of the release that exits
    /// meanwhile fails the check at once, with its exit status and last log lines.
    private func waitHealthy(_ r: any StartedRelease, url: String, timeout: Double, whileWaiting: () async -> Void,
                             isStopping: () -> Bool) async throws {
        let waited = Stopwatch(clock)
        var lastAnswer: Int?
        while true {
            if isStopping() { throw Stopped() }
            try checkNoneExited(r, during: "the health check")
            let left = timeout - waited.elapsed.seconds
            if let status = try? await probe.status(of: url, timeout: min(2, max(0.2, left))) {
                if (200..<400).contains(status) { r.webHealthy = true; return }
                lastAnswer = status
            }
            if waited.exceeded(timeout) {
                let last = lastAnswer.map { " (last answer: HTTP \($0))" } ?? ""
                throw RikerError(.deployFailed, "web did not answer \(url) within \(Int(timeout))s\(last)")
            }
            await whileWaiting()
            try? await clock.sleep(for: Self.tick)
        }
    }

    /// For releases without `web`: every process must stay up for `seconds`.
    private func waitStaysUp(_ r: any StartedRelease, seconds: Double, isStopping: () -> Bool) async throws {
        let waited = Stopwatch(clock)
        while !waited.exceeded(seconds) {
            if isStopping() { throw Stopped() }
            try checkNoneExited(r, during: "its first \(Int(seconds))s")
            try? await clock.sleep(for: Self.tick)
        }
        try checkNoneExited(r, during: "its first \(Int(seconds))s")
    }

    private func checkNoneExited(_ r: any StartedRelease, during what: String) throws {
        for p in r.processes {
            if let status = p.child?.poll() {
                // The note also takes in all the process wrote, so the tail is complete.
                p.note("\(p.name) exited (\(status)) during \(what)")
                throw LaunchFailure(reason: "\(p.type) of \(r.release.name) exited (\(status)) during \(what)", lastOutput: p.logTail())
            }
        }
    }
}

/// A release whose process exited while it was being checked. `reason` is Riker's own words
/// (fit for the `riker[agent]` log line); the message adds what the process wrote last,
/// which may hold anything the app printed, for the pusher.
struct LaunchFailure: Error, LocalizedError {
    let reason: String
    let lastOutput: String
    var errorDescription: String? { lastOutput.isEmpty ? reason : "\(reason): \(lastOutput)" }
}
