import Foundation

/// An async mutual exclusion per key: work for one key runs one at a time, in arrival order,
/// without blocking a thread while it waits.
final class KeyedLock: @unchecked Sendable {
    private let lock = NSLock()
    private var held = Set<String>()
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func withLock<T>(_ key: String, _ body: () async throws -> T) async rethrows -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let free: Bool = lock.withLock {
                if held.insert(key).inserted { return true }
                waiters[key, default: []].append(c)
                return false
            }
            if free { c.resume() }
        }
    }

    private func release(_ key: String) {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            guard var queue = waiters[key], !queue.isEmpty else {
                held.remove(key)
                return nil
            }
            // The lock passes straight to the next waiter.
            let first = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            return first
        }
        next?.resume()
    }
}
