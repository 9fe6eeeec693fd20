import Foundation
import Logging
import RikerCore

/// `DIR/processes.json`: the process groups the agent has running, rewritten on every change.
///
/// An agent that dies (SIGKILL, OOM) leaves its app processes behind, still bound to their
/// ports. The next agent on the same directory reads this file and kills those groups before
/// it starts anything. Records carry the kernel boot id, so a reboot never leads to killing
/// unrelated processes that reused the numbers.
final class ProcessRegistry: @unchecked Sendable {
    struct Entry: Codable, Equatable {
        var pgid: Int32
        var release: Int
        var type: String
    }

    struct Record: Codable {
        var bootID: String
        var agentPID: Int32
        var processes: [Entry]
        enum CodingKeys: String, CodingKey {
            case bootID = "boot_id"
            case agentPID = "agent_pid"
            case processes
        }
    }

    private let file: URL
    private let logger: Logger
    private let lock = NSLock()
    private var entries: [Entry] = []

    init(file: URL, logger: Logger) { self.file = file; self.logger = logger }

    func add(pgid: Int32, release: Int, type: String) {
        lock.withLock {
            entries.append(Entry(pgid: pgid, release: release, type: type))
            save()
        }
    }

    func remove(pgid: Int32) {
        lock.withLock {
            entries.removeAll { $0.pgid == pgid }
            save()
        }
    }

    var current: [Entry] { lock.withLock { entries } }

    private func save() {
        let record = Record(bootID: Self.bootID, agentPID: getpid(), processes: entries)
        do { try AtomicFile.write(try JSONCoding.encode(record), to: file) } catch {
            logger.warning("cannot record process groups: \(error.userMessage)")
        }
    }

    /// Kills the process groups a previous agent recorded (SIGTERM, up to `grace` seconds, SIGKILL).
    /// Returns the groups that were still alive.
    @discardableResult
    func killLeftovers(grace: Double) -> [Entry] {
        guard let data = try? AtomicFile.read(file),
              let record = try? JSONCoding.decode(Record.self, from: data, what: "processes.json") else { return [] }
        defer { lock.withLock { save() } }
        guard record.bootID == Self.bootID else { return [] }
        let alive = record.processes.filter { $0.pgid > 1 && kill(-$0.pgid, 0) == 0 }
        guard !alive.isEmpty else { return [] }
        for e in alive {
            logger.warning("stopping v\(e.release) \(e.type) (process group \(e.pgid)) left behind by a previous agent")
            kill(-e.pgid, SIGTERM)
        }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, alive.contains(where: { kill(-$0.pgid, 0) == 0 }) { usleep(50_000) }
        for e in alive where kill(-e.pgid, 0) == 0 { kill(-e.pgid, SIGKILL) }
        return alive
    }

    /// Identifies this boot of the machine (empty where the kernel does not say).
    static let bootID: String = {
        let data = (try? AtomicFile.read(URL(fileURLWithPath: "/proc/sys/kernel/random/boot_id"))) ?? nil
        return data.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }()
}
