import Foundation
import RikerCore
import Testing
@testable import RikerLogs

@Suite struct LogLineTests {
    @Test func appLinesFormatWithTimeProcessAndInstance() {
        let t = LogTimestamp(parsing: "2026-11-25T04:00:00.123Z")!
        let line = LogLine.app("Listening on port 5000", process: "web.1", instance: "i-0abc", time: t)
        #expect(line.description == "2026-11-25T04:00:00.123Z app[web.1@i-0abc]: Listening on port 5000")
        #expect(line.processType == "web")
        let event = LogLine.riker("web.1 exited (exit code 1)", instance: nil, time: t)
        #expect(event.description == "2026-11-25T04:00:00.123Z riker[agent]: web.1 exited (exit code 1)")
    }

    @Test func formattedLinesParseBackToTheSameLine() throws {
        let t = LogTimestamp(parsing: "2026-11-25T04:00:00.123Z")!
        let lines = [
            LogLine.app("text with ]: brackets [x@y] and  spaces ", process: "worker.12", instance: "i-0abc", time: t),
            LogLine.app("", process: "web.1", instance: "local-1", time: t),
            LogLine.riker("switched to v3", instance: "i-0abc", time: t),
            LogLine.riker("no instance", component: "agent", instance: nil, time: t),
            LogLine.app("naïve ☃ unicode", process: "clock", instance: "host@a@b", time: t),
        ]
        for line in lines {
            #expect(LogLine(parsing: line.description) == line, "\(line)")
        }
        #expect(LogLine(parsing: "2026-11-25T04:00:00.123Z app[web.1]:") == LogLine.app("", process: "web.1", instance: nil, time: LogTimestamp(parsing: "2026-11-25T04:00:00.123Z")!))
    }

    @Test func malformedLinesDoNotParse() {
        for text in ["", "hello", "2026-11-25T04:00:00.123Z hello", "2026-13-25T04:00:00.123Z app[web.1]: x",
                     "2026-11-25T04:00:00.123Z app web.1: x", "2026-11-25T04:00:00.123Z [web.1]: x", "2026-11-25 app[web.1]: x"] {
            #expect(LogLine(parsing: text) == nil, "\(text)")
        }
    }

    @Test func processTypeStripsOnlyANumericSuffix() {
        func type(_ p: String) -> String { LogLine.app("", process: p, instance: nil).processType }
        #expect(type("web.1") == "web")
        #expect(type("web") == "web")
        #expect(type("my.worker.3") == "my.worker")
        #expect(type("web.x") == "web.x")
        #expect(type("web.") == "web.")
    }

    @Test func jsonFormHasEveryField() throws {
        let t = LogTimestamp(parsing: "2026-11-25T04:00:00.123Z")!
        let line = LogLine.app("say \"hi\"", process: "web.1", instance: "i-0abc", time: t)
        #expect(line.json == #"{"instance":"i-0abc","process":"web.1","source":"app","text":"say \"hi\"","time":"2026-11-25T04:00:00.123Z"}"#)
        #expect(try JSONDecoder().decode(LogLine.self, from: Data(line.json.utf8)) == line)
    }

    @Test func timestampsMatchFoundationAcrossYearsAndLeapDays() throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        var ms: Int64 = -2_000_000_000_000
        while ms < 5_000_000_000_000 {
            let t = LogTimestamp(millis: ms)
            let expected = f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(t.description == expected)
            #expect(LogTimestamp(parsing: t.description) == t)
            ms += 86_400_000 * 37 + 3_600_123
        }
        #expect(LogTimestamp(parsing: "2024-02-29T23:59:59.999Z")?.description == "2024-02-29T23:59:59.999Z")
        #expect(LogTimestamp(parsing: "2026-11-25T05:30:00.5+01:30")?.description == "2026-11-25T04:00:00.500Z")
        #expect(LogTimestamp(parsing: "2026-11-25T04:00:00Z")?.description == "2026-11-25T04:00:00.000Z")
        #expect(LogTimestamp(parsing: "2026-11-25T04:00:00.123456Z")?.description == "2026-11-25T04:00:00.123Z")
        #expect(LogTimestamp(parsing: "2026-11-25T04:00:00.123Z")?.compact == "20261125T040000123Z")
    }
}
