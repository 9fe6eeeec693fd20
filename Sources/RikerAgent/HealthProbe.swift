import Foundation
import RikerCore
import RikerHTTP

/// What a web process answered a health check with.
struct HealthAnswer: Sendable, Equatable {
    var status: Int
    /// The start of the body (at most `HealthAnswer.bodyLimit` bytes), for failure reports.
    var body: Data

    static let bodyLimit = 16 * 1024

    var passed: Bool { (200..<400).contains(status) }
}

/// Asks a web process whether it is up: one HTTP GET, answered or not.
/// A protocol so the agent's checks can be pointed at something else than libcurl.
protocol HealthProbe: Sendable {
    /// What `url` answered; throws when nothing answered within `timeout` seconds.
    func check(_ url: String, timeout: Double) async throws -> HealthAnswer
}

/// The probe on RikerHTTP's libcurl client (a fresh connection per check, on its own thread).
struct CurlHealthProbe: HealthProbe {
    func check(_ url: String, timeout: Double) async throws -> HealthAnswer {
        try await Blocking.run {
            let r = try HTTPClient.get(url, headers: ["User-Agent": "riker-agent"], timeout: timeout)
            return HealthAnswer(status: r.status, body: r.body.prefix(HealthAnswer.bodyLimit))
        }
    }
}
