import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerDeploy

/// A target that takes a while (on the test's clock) and then checks whether another server
/// could take the lock.
struct SlowTarget: DeployTarget {
    let store: any ReleaseStore
    let seconds: Double
    let clock: ManualClock
    let observed: Box

    final class Box: @unchecked Sendable { var lockWasTakeable: Bool?; var error: String? }

    func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String {
        try await clock.sleep(for: .seconds(seconds))
        do {
            _ = try await store.acquireLock(release.app, release.env, holder: "other-server", deploy: "x", lease: 5, wait: 0, clock: clock)
            observed.lockWasTakeable = true
        } catch let e as RikerError where e.code == .locked {
            observed.lockWasTakeable = false
        }
        return "nowhere"
    }
}

@Suite struct DeployerLockTests {
    @Test func theLockIsRenewedForAsLongAsTheDeployRunsAndReleasedAfter() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        try await store.createApp(AppSettings(name: "web"))
        let release = try await store.createRelease(Release(
            version: 0, app: "web", env: "production", commit: String(repeating: "a", count: 40), ref: "refs/heads/main",
            builder: "buildpack:procfile", processTypes: [:], artifact: "a", sha256: "s", size: 1, config: [:], createdBy: "t", description: ""))
        let box = SlowTarget.Box()
        let clock = ManualClock()
        var deployer = Deployer(paths: RikerPaths(root: dir.url), store: store, output: .null)
        deployer.lockLease = 2
        deployer.clock = clock
        deployer.targetOverride = SlowTarget(store: store, seconds: 60, clock: clock, observed: box)
        let done = DoneFlag()
        let settings = try DeploySettings(AppSettings(name: "web"), env: "production")
        let task = Task { defer { done.set() }; return try await deployer.deploy(release, settings: settings) }
        #expect(await clock.advance(by: .milliseconds(50), until: { done.isSet }, limit: .seconds(120)))
        _ = try await task.value
        // Without renewal the 2 s lease would have expired long before the 60 s rollout ended
        // (the clock moves in 50 ms steps; renewals are due every 0.67 s).
        #expect(box.lockWasTakeable == false)
        #expect(try await store.get(StoreLayout.lock("web", "production")) == nil)
        #expect(try await store.current("web", "production").version == 1)
    }
}
