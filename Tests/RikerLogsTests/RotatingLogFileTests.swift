import Foundation
import RikerTestSupport
import Testing
@testable import RikerLogs

@Suite struct RotatingLogFileTests {
    private func size(_ url: URL) -> Int { ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0 }

    @Test func aFloodNeverTakesMoreThanTheCapacityAndKeepsTheNewestLines() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let log = try RotatingLogFile(file: dir.path("logs/web.log"), capacity: 100_000)
        var last = ""
        for i in 0..<20_000 {
            last = "line \(i) " + String(repeating: "x", count: i % 300) + "\n"
            log.append(Array(last.utf8))
            #expect(size(log.file) + size(log.previousFile) <= 100_000)
        }
        // A batch of many lines at once is split at line boundaries, never past the cap.
        let batch = (0..<5000).map { "batch \($0)\n" }.joined()
        log.append(Array(batch.utf8))
        #expect(size(log.file) + size(log.previousFile) <= 100_000)
        #expect(size(log.file) <= 50_000 && size(log.previousFile) <= 50_000)
        let tail = String(decoding: log.tail(maxBytes: 1000), as: UTF8.self)
        #expect(tail.hasSuffix("batch 4999\n"))
        #expect(tail.split(separator: "\n").allSatisfy { $0.hasPrefix("batch ") }, "the tail starts at a whole line")
        #expect(log.writeErrors == 0)
    }

    @Test func reopeningContinuesTheSameBoundedFiles() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let file = dir.path("web.log")
        for round in 0..<3 {
            let log = try RotatingLogFile(file: file, capacity: RotatingLogFile.minimumCapacity)
            for i in 0..<2000 { log.append(Array("round \(round) line \(i)\n".utf8)) }
            log.close()
            #expect(size(file) + size(URL(fileURLWithPath: file.path + ".1")) <= RotatingLogFile.minimumCapacity)
        }
        let log = try RotatingLogFile(file: file, capacity: RotatingLogFile.minimumCapacity)
        #expect(String(decoding: log.tail(), as: UTF8.self).hasSuffix("round 2 line 1999\n"))
    }
}
