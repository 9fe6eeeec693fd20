import Foundation

/// Heroku-style progress for the pusher: `-----> Step` and 7-space indented detail.
///
/// Lines are written unbuffered so `git push` shows them as they happen. An `Output` can
/// also tee every line to a log file (the build log in the store).
public final class Output: @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private var tee: FileHandle?
    /// Values replaced by `[masked]` in what goes to the tee (the stored build log), longest first.
    private var masked: [String] = []
    /// Values shorter than this are not masked (they would mask ordinary words).
    public static let shortestMasked = 6

    /// Writes to a file descriptor (stdout by default). Pre-receive's stdout reaches the pusher.
    public init(fd: Int32 = STDOUT_FILENO) { self.fd = fd }

    /// Also copies every line to `file` (created or truncated).
    public func tee(to file: URL) {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        chmod(file.path, 0o600)
        lock.withLock { tee = try? FileHandle(forWritingTo: file) }
    }

    /// From now on, `values` (an app's config values) never reach the tee: the stored build
    /// log shows `[masked]` where a build printed one. The pusher, who may read the config
    /// anyway, sees the lines as printed.
    public func mask(_ values: some Sequence<String>) {
        let add = values.filter { $0.count >= Self.shortestMasked && !$0.contains("\n") }
        lock.withLock { masked = Array(Set(masked + add)).sorted { $0.count > $1.count } }
    }

    /// `text` with the masked values replaced, for what is kept beside the log (a build
    /// record's error, a commit status, the server's own log).
    public func masking(_ text: String) -> String {
        lock.withLock { Self.replace(masked, in: text) }
    }

    private static func replace(_ values: [String], in text: String) -> String {
        var text = text
        for value in values where text.contains(value) { text = text.replacingOccurrences(of: value, with: "[masked]") }
        return text
    }

    /// Stops copying lines to the tee file.
    public func endTee() {
        lock.withLock {
            try? tee?.close()
            tee = nil
        }
    }

    /// `-----> text`
    public func step(_ text: String) { line("-----> " + text) }
    /// `       text` (indented detail under a step).
    public func detail(_ text: String) { line("       " + text) }
    /// ` !     text`: an error the pusher must read.
    public func error(_ text: String) { line(" !     " + text) }

    /// A raw line, already formatted (e.g. a buildpack's own output).
    public func line(_ text: String) {
        var data = Array(text.utf8)
        if data.last != 0x0a { data.append(0x0a) }
        lock.withLock {
            data.withUnsafeBytes { writeAll(fd, $0) }
            guard let tee else { return }
            if masked.isEmpty { tee.write(Data(data)); return }
            tee.write(Data(Self.replace(masked, in: String(decoding: data, as: UTF8.self)).utf8))
        }
    }

    /// Bytes already formatted (another build's output, as stored), written as they are.
    public func raw(_ data: Data) {
        lock.withLock {
            data.withUnsafeBytes { writeAll(fd, $0) }
            tee?.write(data)
        }
    }

    /// A discarding output, for callers that have no pusher.
    public static var null: Output { Output(fd: -1) }
}

/// Writes every byte, retrying on EINTR and short writes. A closed or invalid descriptor is ignored:
/// a pusher that disconnected must not stop a deploy.
@discardableResult
public func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
    guard fd >= 0, var p = buffer.baseAddress else { return false }
    var left = buffer.count
    while left > 0 {
        let n = write(fd, p, left)
        if n < 0 { if errno == EINTR { continue }; return false }
        p += n
        left -= n
    }
    return true
}
