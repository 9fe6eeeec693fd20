import Foundation
import Testing
@testable import RikerLogs

@Suite struct LineSplitterTests {
    private func split(_ chunks: [[UInt8]], max: Int = 16, flush: Bool = true) -> [String] {
        var s = LineSplitter(maxLength: max)
        var out: [String] = []
        for c in chunks { c.withUnsafeBytes { s.feed($0) { out.append(String(decoding: $0, as: UTF8.self)) } } }
        if flush { s.flush { out.append(String(decoding: $0, as: UTF8.self)) } }
        return out
    }

    @Test func linesSplitAtNewlinesAcrossReadsAndDropCarriageReturns() {
        #expect(split([Array("one\ntw".utf8), Array("o\r\n\nthr".utf8), Array("ee".utf8)]) == ["one", "two", "", "three"])
        #expect(split([Array("no newline yet".utf8)], flush: false) == [])
    }

    @Test func aLongLineIsCutIntoPiecesOfTheLimitAndNothingIsLost() {
        let long = String(repeating: "abcdefghij", count: 5)  // 50 bytes
        let pieces = split([Array(long.utf8.prefix(7)), Array(long.utf8.dropFirst(7)) + [0x0a], Array("next\n".utf8)])
        #expect(pieces == ["abcdefghijabcdef", "ghijabcdefghijab", "cdefghijabcdefgh", "ij", "next"])
        #expect(pieces.allSatisfy { $0.utf8.count <= 16 })
    }

    @Test func cutsNeverSplitAUTF8Character() {
        let text = String(repeating: "é☃", count: 20)  // 2- and 3-byte characters
        let pieces = split([Array(text.utf8)])
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { $0.utf8.count <= 16 && !$0.contains("\u{FFFD}") })
    }

    @Test func aHugeLineWithoutNewlineKeepsMemoryBounded() {
        var s = LineSplitter(maxLength: 16 * 1024)
        var pieces = 0
        var longest = 0
        let chunk = [UInt8](repeating: 0x41, count: 64 * 1024)
        for _ in 0..<160 {  // 10 MiB, no newline
            chunk.withUnsafeBytes { s.feed($0) { pieces += 1; longest = max(longest, $0.count) } }
        }
        // The last full piece waits for one more byte (it may yet be followed by its newline).
        #expect(pieces == 10 * 1024 / 16 - 1)
        #expect(s.hasPartialLine)
        s.flush { pieces += 1; longest = max(longest, $0.count) }
        #expect(pieces == 10 * 1024 / 16)
        #expect(longest == 16 * 1024)
    }
}
