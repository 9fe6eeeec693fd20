import Foundation
import RikerCore
import RikerRelease

extension Deployer {
    /// Queues a deploy event for the app env's notification targets (nothing waits for it here).
    func notify(_ kind: DeployEvent.Kind, _ release: Release, deploy id: String, previous: Release?, error: Error? = nil) {
        guard let notifier else { return }
        let failed = kind == .deployFailed || kind == .deployRolledBack
        notifier.send(DeployEvent(
            event: kind, app: release.app, env: release.env, release: release.name, commit: release.commit, ref: release.ref,
            by: release.createdBy, description: release.description, deploy: id,
            previous: failed ? previous?.name : nil,
            error: error.map { DeployEvent.scrubbed($0.userMessage, config: release.config) }))
    }
}

extension Pipeline {
    /// Tells the app env's notification targets that building `request` failed, and waits for
    /// the delivery (bounded by `NotificationPolicy`); never throws.
    func notifyBuildFailed(_ request: PipelineRequest, error: Error) async {
        let notifier = DeployNotifier(settings: request.settings, env: request.env, paths: paths, output: output)
        guard !notifier.targets.isEmpty else { return }
        let config = (try? await store.config(request.app, request.env).vars) ?? [:]
        notifier.send(DeployEvent(
            event: .buildFailed, app: request.app, env: request.env, release: nil, commit: request.commit, ref: request.ref,
            by: request.createdBy, error: DeployEvent.scrubbed(error.userMessage, config: config)))
        await notifier.finish()
    }
}
