import Foundation

/// Runs blocking work (a process wait, a libcurl transfer, a build, an archive) on a thread of
/// its own, never on Swift's cooperative pool, whose few threads must stay free for async
/// work: on 2 cores, two blocked pool threads stop every task in the process.
public enum Blocking {
    /// Runs `work` on a new thread and returns its result (or error) to the awaiting task.
    public static func run<T>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let box = ResultBox<T>()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            box.continuation = c
            let thread = Thread {
                box.continuation?.resume(with: Result { try work() })
                box.continuation = nil
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs non-throwing `work` on a new thread.
    public static func run<T>(_ work: @escaping @Sendable () -> T) async -> T {
        // A non-throwing closure cannot make the throwing variant throw.
        try! await run { () throws -> T in work() }
    }
}

/// Carries a continuation (and a result that need not be `Sendable`) to the worker thread.
private final class ResultBox<T>: @unchecked Sendable {
    var continuation: CheckedContinuation<T, Error>?
}

extension ChildProcess {
    /// Waits for the child to exit without holding a cooperative thread.
    public func exited() async -> ExitStatus {
        if let s = poll() { return s }
        return await Blocking.run { self.wait() }
    }

    /// The teardown sequence (SIGTERM, `grace` seconds, SIGKILL) without holding a cooperative thread.
    @discardableResult
    public func stop(grace: Double) async -> ExitStatus {
        // Already gone: killing what is left of its group does not block.
        if poll() != nil { return terminate(grace: 0) }
        return await Blocking.run { self.terminate(grace: grace) }
    }
}
