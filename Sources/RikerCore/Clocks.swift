import Foundation

/// Time through an injected clock (`any Clock<Duration>`): the deploy lock, the rolling deploy
/// and the agent wait and time out on the clock they are given, so tests can drive time
/// instead of sleeping. `ContinuousClock()` in production.
public struct Stopwatch: Sendable {
    private let read: @Sendable () -> Duration

    /// Starts measuring now, on `clock`.
    public init(_ clock: any Clock<Duration>) {
        func start<C: Clock<Duration>>(_ c: C) -> @Sendable () -> Duration {
            let t0 = c.now
            return { t0.duration(to: c.now) }
        }
        read = start(clock)
    }

    /// Time since the stopwatch was started.
    public var elapsed: Duration { read() }

    /// True once `limit` seconds have passed.
    public func exceeded(_ limit: Double) -> Bool { elapsed >= .seconds(limit) }
}

/// A clock that also tells the wall-clock date its `now` stands for (tests' manual clocks), so
/// dates written to the store (lock leases) follow the same time as the waits.
public protocol WallClockDating: Sendable {
    var date: Date { get }
}

/// The wall-clock date on `clock`: the clock's own for a `WallClockDating` one, else `Date()`.
public func wallDate(_ clock: any Clock<Duration>) -> Date {
    (clock as? any WallClockDating)?.date ?? Date()
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
