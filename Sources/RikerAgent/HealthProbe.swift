import Foundation
import RikerCore
import RikerHTTP

/// Asks a web process whether it is up: one HTTP GET, answered or not.
/// A protocol so the agent's checks can be pointed at something else than libcurl.
protocol HealthProbe: Sendable {
    /// The HTTP status `url` answered with; throws when nothing answered within `timeout` seconds.
    func status(of url: String, timeout: Double) async throws -> Int
}

/// The probe on RikerHTTP's libcurl client (a fresh connection per check, on its own thread).
struct CurlHealthProbe: HealthProbe {
    func status(of url: String, timeout: Double) async throws -> Int {
        try await Blocking.run { try HTTPClient.get(url, headers: ["User-Agent": "riker-agent"], timeout: timeout).status }
    }
}
