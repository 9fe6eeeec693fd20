import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerDeploy

/// A target that records what the deploy says came before, and succeeds.
struct RecordingTarget: DeployTarget {
    final class Box: @unchecked Sendable { var previous: Int?? }
    let box: Box
    func rollout(_ release: Release, previous: Release?, context: DeployContext) async throws -> String {
        box.previous = .some(previous?.version)
        return "somewhere"
    }
}

@Suite struct DeployRecoveryTests {
    func release(_ store: LocalReleaseStore, _ v: Int) async throws -> Release {
        try await store.createRelease(Release(
            version: 0, app: "web", env: "production", commit: String(repeating: "\(v)", count: 40), ref: "refs/heads/main",
            builder: "buildpack:procfile", processTypes: ["web": "x"], artifact: "a", sha256: "s", size: 1, config: [:], createdBy: "t", description: ""))
    }

    /// The deploy of v2 was killed after moving `current` (its process is gone, its lock and a
    /// "running" record remain): the next deploy puts `current` back on v1 before it starts.
    @Test func theNextDeployRecoversADeployWhoseProcessDied() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        try await store.createApp(AppSettings(name: "web"))
        _ = try await release(store, 1)
        _ = try await release(store, 2)
        let v3 = try await release(store, 3)
        try await store.setCurrent("web", "production", to: 1, expected: nil)
        let (_, tag) = try await store.current("web", "production")
        try await store.setCurrent("web", "production", to: 2, expected: tag)
        var interrupted = DeployRecord(id: "d2", app: "web", env: "production", release: 2, previous: 1, target: "local")
        interrupted.batches = [.init(instances: ["local-1"])]
        try await store.saveDeploy(interrupted)
        try await store.setDesired("web", "production", instance: "local-1", DesiredRelease(release: 2, deploy: "d2"))
        let dead = try ChildProcess.spawn(ProcessSpec("/bin/sleep", ["60"]))
        let identity = try #require(ProcessIdentity.of(dead.pid))
        dead.terminate(grace: 0)
        try await store.put(StoreLayout.lock("web", "production"), try JSONCoding.encode(DeployLock(
            holder: "killed", deploy: "d2", expiresAt: Date().addingTimeInterval(100), host: ProcessInfo.processInfo.hostName,
            process: identity.description)), condition: .ifAbsent)

        let box = RecordingTarget.Box()
        var deployer = Deployer(paths: RikerPaths(root: dir.url), store: store, output: .null)
        deployer.targetOverride = RecordingTarget(box: box)
        try await deployer.deploy(v3, settings: try DeploySettings(AppSettings(name: "web"), env: "production"))

        #expect(box.previous == .some(1), "the new deploy replaces v1, not the broken v2")
        #expect(try await store.desired("web", "production", instance: "local-1") == DesiredRelease(release: 1, deploy: "d2-recovered"))
        #expect(try await store.current("web", "production").version == 3)
        let record = try JSONCoding.decode(DeployRecord.self, from: try #require(try await store.get(StoreLayout.deploy("web", "production", "d2"))).data, what: "d2")
        #expect(record.outcome == .failed)
        #expect(record.error?.contains("interrupted") == true && record.error?.contains("current is back on v1") == true)
    }

    @Test func aFinishedDeployIsLeftAlone() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let store = LocalReleaseStore(directory: dir.path("store"))
        try await store.createApp(AppSettings(name: "web"))
        try await store.setCurrent("web", "production", to: 2, expected: nil)
        var record = DeployRecord(id: "d2", app: "web", env: "production", release: 2, previous: 1, target: "local")
        record.outcome = .succeeded
        try await store.saveDeploy(record)
        try await DeployRecovery(store: store, output: .null).recover("web", "production", interrupted: DeployLock(holder: "x", deploy: "d2", expiresAt: Date()))
        #expect(try await store.current("web", "production").version == 2)
    }
}
