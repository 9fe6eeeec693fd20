import Foundation

/// Something that takes log lines as they are captured: the store shipper, a syslog drain.
///
/// `receive` is called on a capture thread while the app's output waits in its pipe: it must
/// return at once (queue the lines, never wait for I/O), dropping lines it cannot keep.
public protocol LogSink: AnyObject, Sendable {
    func receive(_ lines: [LogLine])
}

/// One instance's log stream: every captured line of every process, and Riker's own events,
/// handed to the sinks attached now. Sinks can be attached and removed at any time (a drain
/// configured while the app runs). Thread-safe.
public final class LogStream: @unchecked Sendable {
    /// The instance every line of this stream comes from.
    public let instance: String?
    private let lock = NSLock()
    private var sinks: [any LogSink] = []

    public init(instance: String?) { self.instance = instance }

    public func add(_ sink: any LogSink) {
        lock.withLock { if !sinks.contains(where: { $0 === sink }) { sinks.append(sink) } }
    }

    public func remove(_ sink: any LogSink) {
        lock.withLock { sinks.removeAll { $0 === sink } }
    }

    /// Hands `lines` to every sink.
    public func publish(_ lines: [LogLine]) {
        guard !lines.isEmpty else { return }
        for sink in lock.withLock({ sinks }) { sink.receive(lines) }
    }

    /// Publishes one of Riker's own events, `riker[COMPONENT@INSTANCE]: text`, and returns it.
    @discardableResult
    public func event(_ text: String, component: String = "agent") -> LogLine {
        let line = LogLine.riker(Self.oneLine(text), component: component, instance: instance)
        publish([line])
        return line
    }

    /// `text` with line breaks replaced by spaces, so an event stays one line.
    static func oneLine(_ text: String) -> String {
        text.contains(where: \.isNewline) ? String(text.map { $0.isNewline ? " " : $0 }) : text
    }
}
