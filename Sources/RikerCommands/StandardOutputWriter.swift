import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a verb's output straight to file descriptor 1 (no buffering, so a follow shows each
/// line at once) and notices when whoever reads it has gone: an SSH client that hung up, a
/// closed pipe. Riker ignores SIGPIPE, so a write to a closed pipe fails with EPIPE rather
/// than ending the process; `write` then throws `Closed`.
struct StandardOutputWriter {
    /// The reader of standard output went away.
    struct Closed: Error {}

    let fd: Int32 = STDOUT_FILENO

    /// Writes all of `text`. Throws `Closed` when the reader is gone (or any other write error).
    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { waitWritable(); continue }
                    throw Closed()
                }
                offset += n
            }
        }
    }

    /// Whether the reader has gone: the pipe or socket behind standard output reports an error
    /// or a hang-up. Never true for a terminal or a file.
    var isClosed: Bool {
        var p = pollfd(fd: fd, events: 0, revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        return p.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
    }

    private func waitWritable() {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&p, 1, 1000)
    }
}

/// `s` padded with spaces to `n` characters (longer ones as they are), for table columns.
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s.padding(toLength: n, withPad: " ", startingAt: 0) }
