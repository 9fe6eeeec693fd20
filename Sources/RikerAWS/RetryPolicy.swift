import Foundation
import RikerCore

/// How often and how patiently a request is tried again: exponential backoff with full jitter
/// (a random wait between 0 and `baseDelay × 2^attempt`, capped at `maxDelay`).
public struct RetryPolicy: Sendable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 0.2, maxDelay: Double = 5) {
        self.maxAttempts = max(1, maxAttempts); self.baseDelay = baseDelay; self.maxDelay = maxDelay
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before try number `attempt + 1` (attempt counts from 1).
    public func delay(after attempt: Int) -> Double {
        Double.random(in: 0...min(maxDelay, baseDelay * pow(2, Double(attempt - 1))))
    }

    /// S3 answers worth trying again: any 5xx (500 InternalError, 503 SlowDown, …) and
    /// 400 RequestTimeout. Every other 4xx is the caller's problem and is not retried.
    public static func isRetryable(status: Int, code: String?) -> Bool {
        status >= 500 || code == "RequestTimeout" || code == "SlowDown" || code == "RequestTimeTooSkewed"
    }

    /// Transport failures (refused, reset, timed out): libcurl errors are thrown as `.http`.
    public static func isRetryable(_ error: Error) -> Bool {
        (error as? RikerError)?.code == .http
    }
}
