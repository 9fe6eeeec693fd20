import Foundation

/// Heroku-style progress for the pusher: `-----> Step` and 7-space indented detail.
///
/// Lines are written unbuffered so `git push` shows them as they happen. An `Output` can
/// also tee every line to a log file (the build log in the store).
public final class Output: @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private var tee: FileHandle?

    /// Writes to a file descriptor (stdout by default). Pre-receive's stdout reaches the pusher.
    public init(fd: Int32 = STDOUT_FILENO) { self.fd = fd }

    /// Also copies every line to `file` (created or truncated).
    public func tee(to file: URL) {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        lock.withLock { tee = try? FileHandle(forWritingTo: file) }
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
            tee?.write(Data(data))
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
