import Foundation
import Logging
import RikerCore
import RikerRelease

/// Watching the store: what this instance should run. `desired` (a deploy's order), else
/// `current` (a fresh instance, or one whose deploy is done), read with conditional GETs.
struct WantedRelease {
    let app: String
    let env: String
    let instance: String
    let watcher: StoreWatcher
    let logger: Logger

    init(options: AgentOptions, store: any ReleaseStore, logger: Logger) {
        app = options.app; env = options.env; instance = options.instanceID
        watcher = StoreWatcher(store: store)
        self.logger = logger
    }

    /// `desired`, else `current` (with no deploy id), else nil. A `desired` that cannot be
    /// decoded is logged once (when it changes) and skipped.
    func read() async throws -> DesiredRelease? {
        if let snap = try await watcher.read(StoreLayout.desired(app, env, instance)) {
            do { return try JSONCoding.decode(DesiredRelease.self, from: snap.data, what: "desired release of \(instance)") } catch {
                if snap.changed { logger.error("ignoring desired: \(error.userMessage)") }
            }
        }
        if let snap = try await watcher.read(StoreLayout.current(app, env)),
           let version = parseVersion(String(decoding: snap.data, as: UTF8.self)) {
            return DesiredRelease(release: version, deploy: "")
        }
        return nil
    }
}
