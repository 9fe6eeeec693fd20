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

    /// One look at every process of `r`; returns true when web's health changed.
    func supervise(_ r: any StartedRelease) async -> Bool {
        var changed = false
        for p in r.processes {
            if let status = p.checkExited(registry: registry) {
                logger.warning("\(p.type) exited (\(status)); restarting in \(Int(p.backoff))s")
                if p.type == "web", r.webHealthy { r.webHealthy = false; changed = true }
            }
            if p.dueForRestart() {
                do {
                    try p.restart(registry: registry)
                    logger.info("restarted \(p.type) (pid \(p.pid ?? 0), restart \(p.restarts))")
                } catch {
                    logger.error("cannot restart \(p.type): \(error.userMessage)")
                }
            }
        }
        if let web = r.web, let url = r.healthURL, !r.webHealthy, web.isRunning,
           let status = try? await probe.status(of: url, timeout: 0.5), (200..<400).contains(status) {
            r.webHealthy = true
            changed = true
        }
        return changed
    }
}
