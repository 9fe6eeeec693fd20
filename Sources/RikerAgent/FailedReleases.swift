import Foundation
import RikerCore

/// Releases that failed on this instance, by (release, deploy id), kept in `DIR/failures.json`
/// so an agent restarted mid-deploy neither retries a release that already failed for that
/// deploy nor forgets why it failed.
///
/// The file is small and bounded (the newest `limit` entries). A file that cannot be read or
/// decoded is logged and ignored: it only saves work, it never stops the agent.
struct FailedReleases {
    struct Entry: Codable, Equatable {
        var release: Int
        /// The deploy id from `desired`; empty for a release followed through `current`.
        var deploy: String
        var error: String
        var failedAt: Date

        enum CodingKeys: String, CodingKey {
            case release, deploy, error
            case failedAt = "failed_at"
        }
    }

    private struct File: Codable { var failures: [Entry] }

    let file: URL
    let limit: Int
    private(set) var entries: [Entry] = []

    /// Loads `file` if it exists. `warn` hears why an unreadable file was ignored.
    init(file: URL, limit: Int = 100, warn: (String) -> Void = { _ in }) {
        self.file = file
        self.limit = limit
        do {
            if let data = try AtomicFile.read(file) {
                entries = try JSONCoding.decode(File.self, from: data, what: file.path).failures
            }
        } catch {
            warn("ignoring \(file.path): \(error.userMessage)")
        }
    }

    /// The failure of `release` for `deploy`, if any.
    func failure(release: Int, deploy: String) -> Entry? {
        entries.last { $0.release == release && $0.deploy == deploy }
    }

    /// Records a failure (replacing an older one of the same pair) and writes the file.
    mutating func record(release: Int, deploy: String, error: String, at date: Date = Date()) throws {
        entries.removeAll { $0.release == release && $0.deploy == deploy }
        entries.append(Entry(release: release, deploy: deploy, error: error, failedAt: date))
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
        try AtomicFile.write(JSONCoding.encode(File(failures: entries)), to: file, mode: 0o600)
    }
}
