import Foundation
import Logging
import RikerCore

/// Supervising the running release: a process that exits is restarted after its backoff
/// (1 s doubling to 30 s, reset by a long run), and `web` counts as healthy again once it
/// answers its health check after a restart.
struct ProcessSupervisor {
    let registry: ProcessRegistry
    let probe: any HealthProbe
    let logger: Logger

    /// One look at every process of `r`; returns true when something worth reporting changed
    /// (a process exited or was restarted, web's health changed).
    func supervise(_ r: any StartedRelease) async -> Bool {
        var changed = false
        for p in r.processes {
            if let status = p.checkExited(registry: registry) {
                logger.warning("\(p.name) exited (\(status)); restarting in \(Int(p.backoff))s")
                if p.type == "web", r.webHealthy { r.webHealthy = false }
                changed = true
            }
            if p.dueForRestart() {
                do {
                    try p.restart(registry: registry)
                    logger.info("restarted \(p.name) (pid \(p.pid ?? 0), restart \(p.restarts))")
                    changed = true
                } catch {
                    logger.error("cannot restart \(p.name): \(error.userMessage)")
                }
            }
        }
        if let web = r.web, let url = r.healthURL, !r.webHealthy, web.isRunning,
           let answer = try? await probe.check(url, timeout: 0.5), answer.passed {
            r.webHealthy = true
            changed = true
        }
        return changed
    }
}
