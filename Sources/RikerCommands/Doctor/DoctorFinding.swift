import Foundation

/// One line of `riker doctor`: what was checked, how it stands, and what to do about it.
struct DoctorFinding: Codable, Equatable, Sendable {
    enum Status: String, Codable, Sendable {
        /// Fine as it is.
        case ok
        /// Works, but something is missing or worth changing (doctor still exits 0).
        case warning
        /// Riker will not work (or not safely) until it is fixed: doctor exits non-zero.
        case problem
    }

    /// Short name of the check (`resources`, `keys.json`, `sshd`).
    var check: String
    var status: Status
    /// One line: what was found; for a warning or problem, also what to do.
    var message: String

    static func ok(_ check: String, _ message: String) -> DoctorFinding { DoctorFinding(check: check, status: .ok, message: message) }
    static func warning(_ check: String, _ message: String) -> DoctorFinding { DoctorFinding(check: check, status: .warning, message: message) }
    static func problem(_ check: String, _ message: String) -> DoctorFinding { DoctorFinding(check: check, status: .problem, message: message) }

    /// `ok       check            message`, aligned.
    var line: String {
        let label = status == .problem ? "PROBLEM" : status.rawValue
        return label.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
            + check.padding(toLength: max(20, check.count), withPad: " ", startingAt: 0) + " " + message
    }
}

/// Everything `riker doctor` found, as `--json` prints it.
struct DoctorReport: Codable, Equatable, Sendable {
    /// False when any finding is a problem.
    var ok: Bool
    var checks: [DoctorFinding]

    init(_ checks: [DoctorFinding]) {
        self.checks = checks
        ok = !checks.contains { $0.status == .problem }
    }
}
