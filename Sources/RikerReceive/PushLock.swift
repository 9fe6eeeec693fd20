import Foundation
import RikerCore

/// One push at a time per app env, from its pre-receive hook until git has moved the ref.
///
/// git runs pre-receive and post-receive as separate processes of one git-receive-pack, so
/// the lock belongs to that receive-pack (the hooks' parent), written as `PID:STARTTIME` into
/// `ROOT/locks/push-APP-ENV` with create-if-absent. post-receive removes it; so does a
/// pre-receive that refuses the push. One whose receive-pack is gone (killed, connection
/// dropped) is taken over by the next push.
struct PushLock {
    let file: URL
    let owner: ProcessIdentity

    init(paths: RikerPaths, app: String, env: String, owner: ProcessIdentity) {
        file = paths.pushLock(app: app, env: env)
        self.owner = owner
    }

    /// Waits until no other live push holds the lock (at most `wait` seconds), then takes it.
    /// Holding it already (another branch of the same push) is fine.
    func acquire(wait: Double = 3600, output: Output, what: String) async throws {
        let waited = Stopwatch(ContinuousClock())
        var told = false
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        while true {
            if try AtomicFile.createIfAbsent(Data("\(owner)\n".utf8), at: file) { return }
            let holder = (try? AtomicFile.read(file)).flatMap { $0.map { ProcessIdentity(parsing: String(decoding: $0, as: UTF8.self)) } } ?? nil
            if holder == owner { return }
            if holder.map({ !$0.isAlive }) ?? true {
                // Its push ended without post-receive (killed, or the client hung up): take over.
                try? FileManager.default.removeItem(at: file)
                continue
            }
            if !told { output.step("Waiting for another push to \(what) to finish"); told = true }
            if waited.exceeded(wait) { throw RikerError(.locked, "another push to \(what) is still running after \(Int(wait))s; try again later") }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// Lets go of the lock if this push holds it.
    func release() {
        guard let data = try? AtomicFile.read(file), ProcessIdentity(parsing: String(decoding: data, as: UTF8.self)) == owner else { return }
        try? FileManager.default.removeItem(at: file)
    }

    /// Every push lock `owner` holds (all app envs of one push), released.
    static func releaseAll(paths: RikerPaths, owner: ProcessIdentity) {
        let dir = paths.locksDir
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix("push-") {
            let file = dir.appendingPathComponent(name)
            if let data = try? AtomicFile.read(file), ProcessIdentity(parsing: String(decoding: data, as: UTF8.self)) == owner {
                try? FileManager.default.removeItem(at: file)
            }
        }
    }
}
