import Foundation

/// A first-in first-out queue of log lines bounded by count and by text bytes. When a new
/// line does not fit, the oldest lines make room and are counted in `dropped`: a consumer
/// that falls behind (a slow store, a drain that is down) loses old lines, and the writer
/// never waits. Thread-safe.
public final class BoundedLineQueue: @unchecked Sendable {
    public let maxLines: Int
    public let maxBytes: Int
    private let lock = NSLock()
    private var items: [LogLine] = []
    private var head = 0
    private var bytes = 0
    private var _dropped = 0

    public init(maxLines: Int, maxBytes: Int = .max) {
        precondition(maxLines > 0 && maxBytes > 0)
        self.maxLines = maxLines; self.maxBytes = maxBytes
    }

    /// Lines dropped so far to make room.
    public var dropped: Int { lock.withLock { _dropped } }
    public var count: Int { lock.withLock { items.count - head } }
    public var isEmpty: Bool { count == 0 }

    /// Appends `lines`, dropping the oldest queued lines (or the oldest of `lines`) beyond the bounds.
    public func append(contentsOf lines: [LogLine]) {
        lock.withLock {
            for line in lines {
                items.append(line)
                bytes += Self.cost(line)
            }
            trim()
        }
    }

    /// Puts `lines` back at the front (a batch that could not be sent), within the bounds:
    /// what does not fit is dropped, oldest first.
    public func prepend(_ lines: [LogLine]) {
        guard !lines.isEmpty else { return }
        lock.withLock {
            items = lines + items[head...]
            head = 0
            bytes += lines.reduce(0) { $0 + Self.cost($1) }
            trim()
        }
    }

    /// Removes and returns the oldest lines, up to `maxLines` of them and `maxBytes` of text
    /// (at least one line when any is queued).
    public func take(maxLines: Int = .max, maxBytes: Int = .max) -> [LogLine] {
        lock.withLock {
            var end = head
            var taken = 0
            while end < items.count, end - head < maxLines {
                let c = Self.cost(items[end])
                if end > head, taken + c > maxBytes { break }
                taken += c
                end += 1
            }
            let out = Array(items[head..<end])
            head = end
            bytes -= taken
            compact()
            return out
        }
    }

    /// The text bytes a line costs in the queue (its text plus a fixed overhead for the rest).
    static func cost(_ line: LogLine) -> Int { line.text.utf8.count + 64 }

    private func trim() {
        while items.count - head > maxLines || (bytes > maxBytes && items.count - head > 0) {
            bytes -= Self.cost(items[head])
            head += 1
            _dropped += 1
        }
        compact()
    }

    private func compact() {
        if head == items.count {
            items.removeAll(keepingCapacity: items.count < 65_536)
            head = 0
        } else if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
