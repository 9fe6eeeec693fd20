import Foundation

/// A log line's time: milliseconds since the Unix epoch, written as RFC 3339 in UTC with
/// milliseconds (`2026-11-25T04:00:00.123Z`), the form both log lines and RFC 5424 use.
///
/// Formatting and parsing are plain arithmetic (no `DateFormatter`): the capture stamps
/// thousands of lines a second on one thread.
public struct LogTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var millis: Int64

    public init(millis: Int64) { self.millis = millis }

    public init(_ date: Date) { millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The wall clock now.
    public static func now() -> LogTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return LogTimestamp(millis: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    public var date: Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    public static func < (a: LogTimestamp, b: LogTimestamp) -> Bool { a.millis < b.millis }

    /// `2026-11-25T04:00:00.123Z`
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// `20261125T040000123Z`: the same instant with no separators, for store keys that sort by time.
    public var compact: String {
        let b = bytes
        var out: [UInt8] = []
        for range in [0..<4, 5..<7, 8..<10] { out += b[range] }
        out.append(UInt8(ascii: "T"))
        for range in [11..<13, 14..<16, 17..<19, 20..<23] { out += b[range] }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The 24 bytes of the RFC 3339 form.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        write(to: &out)
        return out
    }

    /// Appends the 24 bytes of the RFC 3339 form to `out`.
    public func write(to out: inout [UInt8]) {
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let msOfDay = millis - days * 86_400_000
        let (y, m, d) = Self.civil(fromDays: days)
        func digits(_ value: Int64, _ width: Int, then separator: UInt8) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
            out.append(separator)
        }
        digits(y, 4, then: UInt8(ascii: "-"))
        digits(m, 2, then: UInt8(ascii: "-"))
        digits(d, 2, then: UInt8(ascii: "T"))
        digits(msOfDay / 3_600_000, 2, then: UInt8(ascii: ":"))
        digits(msOfDay / 60_000 % 60, 2, then: UInt8(ascii: ":"))
        digits(msOfDay / 1000 % 60, 2, then: UInt8(ascii: "."))
        digits(msOfDay % 1000, 3, then: UInt8(ascii: "Z"))
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); digits past milliseconds
    /// are dropped. Nil for anything else.
    public init?<S: StringProtocol>(parsing text: S) {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ width: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<from + width {
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2), b[7] == UInt8(ascii: "-"), let d = num(8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let h = num(11, 2), b[13] == UInt8(ascii: ":"),
              let mi = num(14, 2), b[16] == UInt8(ascii: ":"), let s = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var ms: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { ms = ms * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { ms *= 10 }
        }
        var offsetMinutes: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        millis = ((days * 86_400 + h * 3600 + mi * 60 + s) - offsetMinutes * 60) * 1000 + ms
    }

    // Proleptic Gregorian calendar by eras of 400 years (146,097 days), counting from 0000-03-01
    // so the leap day falls at the end of a year.

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
