import Foundation
import RikerCore
import Testing
@testable import RikerLogs

@Suite struct DrainURLTests {
    @Test func tcpAndTLSURLsParse() throws {
        #expect(try DrainURL(parsing: "syslog+tcp://logs.example.com:514") == DrainURL(transport: .tcp, host: "logs.example.com", port: 514))
        #expect(try DrainURL(parsing: "syslog+tls://logs5.papertrailapp.com:12345/") == DrainURL(transport: .tls, host: "logs5.papertrailapp.com", port: 12345))
        #expect(try DrainURL(parsing: "syslog+tcp://127.0.0.1:6514").description == "syslog+tcp://127.0.0.1:6514")
        #expect(try DrainURL(parsing: "syslog+tls://[::1]:6514") == DrainURL(transport: .tls, host: "::1", port: 6514))
        #expect(try DrainURL(parsing: "syslog+tls://[::1]:6514").description == "syslog+tls://[::1]:6514")
    }

    @Test func badURLsAreRefusedWithOneLineSayingWhatToUse() {
        let bad = ["", "logs.example.com:514", "https://logs.example.com:514", "syslog+udp://h:514", "syslog+tcp://h",
                   "syslog+tcp://h:0", "syslog+tcp://h:70000", "syslog+tcp://h:port", "syslog+tcp://:514",
                   "syslog+tcp://user@h:514", "syslog+tcp://h:514/path", "syslog+tcp://h h:514", "syslog+tls://[zz]:1"]
        for text in bad {
            #expect {
                _ = try DrainURL(parsing: text)
            } throws: { error in
                let e = error as? RikerError
                return e?.code == .invalidInput && e!.message.contains("use syslog+tcp://HOST:PORT or syslog+tls://HOST:PORT")
                    && !e!.message.contains("\n")
            }
        }
    }

    @Test func linesBecomeOctetCountedRFC5424Messages() {
        let t = LogTimestamp(parsing: "2026-11-25T04:00:00.123Z")!
        let app = LogLine.app("Listening on port 5000 ☃", process: "web.1", instance: "i-0abc", time: t)
        let message = "<14>1 2026-11-25T04:00:00.123Z i-0abc shop web.1 - - Listening on port 5000 ☃"
        #expect(SyslogMessage.frame(app, app: "shop", hostname: "host") == Array("\(message.utf8.count) \(message)".utf8))
        let event = LogLine.riker("switched to v3", instance: nil, time: t)
        #expect(String(decoding: SyslogMessage.message(event, app: "shop", hostname: "my host"), as: UTF8.self)
                == "<13>1 2026-11-25T04:00:00.123Z my_host shop riker.agent - - switched to v3")
        let odd = LogLine.app("", process: "", instance: "", time: t)
        #expect(String(decoding: SyslogMessage.message(odd, app: String(repeating: "a", count: 60), hostname: "h"), as: UTF8.self)
                == "<14>1 2026-11-25T04:00:00.123Z - \(String(repeating: "a", count: 48)) - - - ")
    }
}
