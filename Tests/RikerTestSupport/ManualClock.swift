import Foundation
import RikerCore

/// A clock that moves only when a test says so. Sleepers wake when `advance` passes their
/// deadline; `date` follows `now`, so store leases written with it expire on the test's time.
public final class ManualClock: Clock, WallClockDating, @unchecked Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let lock = NSLock()
    private var _now = Instant(offset: .zero)
    private let start: Date
    private var sleepers: [(deadline: Instant, id: UUID, resume: CheckedContinuation<Void, Error>)] = []

    public init(start: Date = Date()) { self.start = start }

    public var now: Instant { lock.withLock { _now } }
    public var minimumResolution: Duration { .zero }
    public var date: Date { start.addingTimeInterval(now.offset.seconds) }

    /// How many tasks are sleeping on this clock right now.
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                if Task.isCancelled { c.resume(throwing: CancellationError()); return }
                let ready: Bool = lock.withLock {
                    if deadline <= _now { return true }
                    sleepers.append((deadline, id, c))
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, Error>? = lock.withLock {
                guard let i = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.remove(at: i).resume
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `d`, waking every sleeper whose deadline has come.
    public func advance(by d: Duration) {
        let due: [CheckedContinuation<Void, Error>] = lock.withLock {
            _now = _now.advanced(by: d)
            let now = _now
            let woken = sleepers.filter { $0.deadline <= now }
            sleepers.removeAll { $0.deadline <= now }
            return woken.map(\.resume)
        }
        due.forEach { $0.resume() }
    }

    /// Advances in `step`s until `condition` holds (letting woken tasks run between steps),
    /// for at most `limit` of clock time. Returns whether the condition held.
    @discardableResult
    public func advance(by step: Duration, until condition: () async -> Bool, limit: Duration = .seconds(3600)) async -> Bool {
        var moved = Duration.zero
        while moved < limit {
            if await condition() { return true }
            advance(by: step)
            moved += step
            // Give woken tasks real time to run before the next step.
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        return await condition()
    }
}
