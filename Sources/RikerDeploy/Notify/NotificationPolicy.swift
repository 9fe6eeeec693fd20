import Foundation

/// How hard a notification is tried: `attempts` POSTs of at most `timeout` seconds each,
/// `backoff` seconds apart, doubling. A 2xx answer delivers it; a 4xx other than 408 and 429
/// is final (retrying would not help); anything else (5xx, refused, timed out) is retried.
public struct NotificationPolicy: Sendable {
    public var attempts: Int
    public var timeout: Double
    public var backoff: Double

    public init(attempts: Int = 3, timeout: Double = 5, backoff: Double = 1) {
        self.attempts = attempts; self.timeout = timeout; self.backoff = backoff
    }

    /// Whether an answer with `status` is worth another attempt.
    public static func isRetryable(_ status: Int) -> Bool {
        status >= 500 || status == 408 || status == 429
    }
}
