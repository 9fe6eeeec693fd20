import Foundation
import Logging
import RikerCore
import RikerRelease
@testable import RikerServer

/// Runs blocking work (git, libcurl, sockets) on a thread of its own. Not on Dispatch's
/// global queues: on Linux they are the threads Swift concurrency runs on (as many as the
/// machine has cores), so blocking them would starve the server under test.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try work() }) }.start()
    }
}

/// The real git command line, isolated from the machine's configuration.
enum Git {
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        env["GIT_AUTHOR_NAME"] = "Riker Test"; env["GIT_AUTHOR_EMAIL"] = "test@riker.invalid"
        env["GIT_COMMITTER_NAME"] = "Riker Test"; env["GIT_COMMITTER_EMAIL"] = "test@riker.invalid"
        for k in ["GIT_DIR", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"] { env[k] = nil }
        return env
    }

    @discardableResult
    static func run(_ args: [String], in dir: URL) throws -> String {
        let spec = ProcessSpec("git", ["-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"] + args,
                               environment: environment, workingDirectory: dir)
        let r = try ProcessRunner.capture(spec, timeout: 60)
        guard r.status.succeeded else { throw RikerError(.process, "git \(args.joined(separator: " ")): \(r.output)") }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A source repository on disk that tests commit to, standing in for the GitHub repository.
struct SourceRepo {
    let dir: URL
    var url: String { "file://" + dir.path }

    init(_ dir: URL) async throws {
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try await blocking { try Git.run(["init", "-q"], in: dir) }
    }

    /// Commits a change on `branch` (created from the current HEAD when new); returns the commit id.
    @discardableResult
    func commit(_ message: String, branch: String = "main") async throws -> String {
        try await blocking { try commitNow(message, branch: branch) }
    }

    private func commitNow(_ message: String, branch: String) throws -> String {
        if (try? Git.run(["rev-parse", "--verify", "-q", "HEAD"], in: dir)) == nil {
            try Git.run(["symbolic-ref", "HEAD", "refs/heads/\(branch)"], in: dir)
        } else if (try? Git.run(["rev-parse", "--verify", "-q", "refs/heads/\(branch)"], in: dir)) != nil {
            try Git.run(["checkout", "-q", branch], in: dir)
        } else {
            try Git.run(["checkout", "-q", "-b", branch], in: dir)
        }
        try Data("\(message)\n".utf8).write(to: dir.appendingPathComponent("CHANGES"), options: .atomic)
        try Git.run(["add", "-A"], in: dir)
        try Git.run(["commit", "-q", "-m", message], in: dir)
        return try Git.run(["rev-parse", "HEAD"], in: dir)
    }
}

/// A `SourceFetcher` on the real git command line: fetches the branch into the app's bare
/// repository under the Riker root and returns its tip.
struct GitCLIFetcher: SourceFetcher {
    let paths: RikerPaths

    func fetch(_ request: FetchRequest) async throws -> String {
        let repo = paths.repo(request.app)
        return try await blocking {
            if !FileManager.default.fileExists(atPath: repo.path) {
                try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
                try Git.run(["init", "-q", "--bare"], in: repo)
            }
            let ref = "refs/heads/\(request.branch)"
            try Git.run(["fetch", "-q", "--force", request.repositoryURL, "+\(ref):\(ref)"], in: repo)
            return try Git.run(["rev-parse", ref], in: repo)
        }
    }
}

/// A `BuildRunner` that records its jobs, can hold them until released, and stores a
/// release for each (so `current` moves like a real deploy).
actor RecordingRunner: BuildRunner {
    let store: any ReleaseStore
    private(set) var jobs: [BuildJob] = []
    private var holding = false
    private var held: [CheckedContinuation<Void, Never>] = []
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    init(store: any ReleaseStore) { self.store = store }

    /// Jobs that start from now on wait in `run` until `release()`.
    func hold() { holding = true }

    func release() {
        holding = false
        for c in held { c.resume() }
        held = []
    }

    /// Waits until `count` jobs have started.
    func waitForJobs(_ count: Int) async {
        if jobs.count >= count { return }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }

    nonisolated func run(_ job: BuildJob) async throws -> BuildResult {
        try await record(job)
    }

    private func record(_ job: BuildJob) async throws -> BuildResult {
        jobs.append(job)
        let ready = waiters.filter { jobs.count >= $0.0 }
        waiters.removeAll { jobs.count >= $0.0 }
        for w in ready { w.1.resume() }
        if holding { await withCheckedContinuation { held.append($0) } }
        let release = try await store.createRelease(Release(
            version: 0, app: job.app, env: job.env, commit: job.commit, ref: job.ref, builder: "test", processTypes: [:],
            artifact: "apps/\(job.app)/slugs/none.tar.zst", sha256: String(repeating: "0", count: 64), size: 0, config: [:],
            createdBy: job.createdBy, description: "webhook build"))
        let (_, etag) = try await store.current(job.app, job.env)
        try await store.setCurrent(job.app, job.env, to: release.version, expected: etag)
        return BuildResult(release: release.name)
    }
}

/// Collects finished build records and lets a test wait for them.
actor FinishedBuilds: BuildObserver {
    private(set) var records: [BuildRecord] = []
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    func buildFinished(_ record: BuildRecord) async {
        records.append(record)
        let ready = waiters.filter { records.count >= $0.0 }
        waiters.removeAll { records.count >= $0.0 }
        for w in ready { w.1.resume() }
    }

    /// Waits until `count` records have finished.
    func waitFor(_ count: Int) async {
        if records.count >= count { return }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }

    func record(_ id: String) -> BuildRecord? { records.first { $0.id == id } }

    private(set) var waiting = 0
    private var depthWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    func waitingChanged(_ waiting: Int) async {
        self.waiting = waiting
        let ready = depthWaiters.filter { $0.0 == waiting }
        depthWaiters.removeAll { $0.0 == waiting }
        for w in ready { w.1.resume() }
    }

    /// Waits until exactly `count` deliveries wait in the build queue.
    func waitForWaiting(_ count: Int) async {
        if waiting == count { return }
        await withCheckedContinuation { depthWaiters.append((count, $0)) }
    }
}

/// A log handler that keeps every rendered line, to look for secrets in.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func logger(_ label: String = "riker.test") -> Logger {
        var l = Logger(label: label) { label in Handler(log: self, label: label) }
        l.logLevel = .trace
        return l
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = metadata.merging(extra ?? [:]) { _, b in b }
            log.append("\(level) \(label): \(message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

/// A `BuildRunner` that blocks its thread (as the real pipeline does while git and buildpacks
/// run) until `unblock()`, counting the builds that started.
final class ThreadBlockingRunner: BuildRunner, @unchecked Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var started = 0
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    func run(_ job: BuildJob) async throws -> BuildResult {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            started += 1
            let r = waiters.filter { started >= $0.0 }.map(\.1)
            waiters.removeAll { started >= $0.0 }
            return r
        }
        for c in ready { c.resume() }
        gate.wait()
        return BuildResult(release: nil)
    }

    func waitForStarted(_ count: Int) async {
        await withCheckedContinuation { c in
            let now: Bool = lock.withLock {
                if started >= count { return true }
                waiters.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }

    func unblock(_ count: Int) { for _ in 0..<count { gate.signal() } }
}
