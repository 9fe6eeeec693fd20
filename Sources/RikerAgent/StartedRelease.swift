import Foundation
import RikerRelease

/// What the agent's loop needs from a release it started, whether its processes run from an
/// unpacked slug (`RunningRelease`) or in containers of its image (`ContainerRelease`):
/// start, health, supervision of each `AppProcess`, and a graceful stop.
protocol StartedRelease: AnyObject, Sendable {
    var release: Release { get }
    /// `releases/vN` on this instance.
    var directory: URL { get }
    /// The 127.0.0.1 port the proxy forwards to; nil without a web process.
    var webPort: Int? { get }
    var processes: [AppProcess] { get }
    var healthURL: String? { get set }
    var webHealthy: Bool { get set }
    func start(registry: ProcessRegistry) throws
    /// Stops every process in parallel (SIGTERM, `grace`, SIGKILL), off the cooperative pool.
    func stop(grace: Double, registry: ProcessRegistry) async
}

extension StartedRelease {
    var version: Int { release.version }
    var web: AppProcess? { processes.first { $0.type == "web" } }
}

extension RunningRelease: StartedRelease {}
extension ContainerRelease: StartedRelease {}
