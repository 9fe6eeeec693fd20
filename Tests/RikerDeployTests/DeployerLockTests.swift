import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerDeploy

/// A target that takes a while and, half way, checks whether another server could take the lock.
struct SlowTarget: DeployTarget {
    let store: any ReleaseStore
    let seconds: Double
    let observed: Box

    final class Box: @unchecked Sendable { var lockWasTakeable: Bool?; var error: String? }

    func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String {
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        do {
            _ = try await store.acquireLock(release.app, release.env, holder: "other-server", deploy: "x", lease: 5, wait: 0)
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
        var deployer = Deployer(paths: RikerPaths(root: dir.url), store: store, output: .null)
        deployer.lockLease = 2
        deployer.targetOverride = SlowTarget(store: store, seconds: 5, observed: box)
        _ = try await deployer.deploy(release)
        // Without renewal the 2 s lease would have expired long before the 5 s rollout ended
        // (renewals come every 0.7 s, leaving slack for a loaded machine).
        #expect(box.lockWasTakeable == false)
        #expect(try await store.get(StoreLayout.lock("web", "production")) == nil)
        #expect(try await store.current("web", "production").version == 1)
    }
}
