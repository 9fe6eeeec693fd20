/// A log line as an RFC 5424 syslog message, framed for TCP by octet counting
/// (RFC 6587 §3.4.1, RFC 5425 §4.3): `LEN SP <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID - - MSG`.
///
///     83 <14>1 2026-11-25T04:00:00.123Z i-0abc myapp web.1 - - Listening on port 5000
///
/// - PRI: facility user (1); severity info (6) for app output, notice (5) for Riker's events.
/// - HOSTNAME: the line's instance (else `hostname`); APP-NAME: the app; PROCID: the process
///   (`web.1`), or `riker.agent` for Riker's events; no MSGID, no structured data.
/// Header fields are printable ASCII without spaces, within the RFC's lengths (`-` when empty).
public enum SyslogMessage {
    static let userInfo = 14
    static let userNotice = 13

    /// The framed message for `line`.
    public static func frame(_ line: LogLine, app: String, hostname: String) -> [UInt8] {
        let message = self.message(line, app: app, hostname: hostname)
        return Array(String(message.count).utf8) + [0x20] + message
    }

    /// The RFC 5424 message for `line`, without framing.
    public static func message(_ line: LogLine, app: String, hostname: String) -> [UInt8] {
        let isApp = line.source == LogLine.appSource
        let pri = isApp ? userInfo : userNotice
        let procID = isApp ? line.process : "\(line.source).\(line.process)"
        var out: [UInt8] = []
        out.reserveCapacity(line.text.utf8.count + 96)
        out.append(contentsOf: "<\(pri)>1 ".utf8)
        out.append(contentsOf: line.time.bytes)
        for (field, limit) in [(line.instance ?? hostname, 255), (app, 48), (procID, 128)] {
            out.append(0x20)
            out.append(contentsOf: headerField(field, limit: limit))
        }
        out.append(contentsOf: " - - ".utf8)
        out.append(contentsOf: line.text.utf8)
        return out
    }

    /// PRINTUSASCII (33…126) only, at most `limit` bytes; other bytes become `_`; empty is `-`.
    static func headerField(_ value: String, limit: Int) -> [UInt8] {
        let bytes = value.utf8.prefix(limit).map { (33...126).contains($0) ? $0 : UInt8(ascii: "_") }
        return bytes.isEmpty ? [UInt8(ascii: "-")] : bytes
    }
}
