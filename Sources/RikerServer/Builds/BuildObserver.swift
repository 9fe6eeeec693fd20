/// Told about the build queue (metrics, notifications, tests).
public protocol BuildObserver: Sendable {
    /// A build is over: called for the record of every delivery it covered.
    func buildFinished(_ record: BuildRecord) async
    /// The number of deliveries received and waiting for their app env (the queue depth).
    func waitingChanged(_ waiting: Int) async
}

extension BuildObserver {
    public func waitingChanged(_ waiting: Int) async {}
}
