import CRikerSystem
import Foundation

/// A pipe(2) whose two ends are close-on-exec from the moment they exist, so a child spawned
/// by another thread meanwhile cannot inherit them (a stray write end would keep the reader
/// from ever seeing end-of-file).
public enum CloseOnExecPipe {
    /// Returns (read end, write end). Throws `.io` when the process is out of descriptors.
    public static func make(nonblocking: Bool = false) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard riker_pipe_cloexec(&fds, nonblocking ? 1 : 0) == 0 else {
            throw RikerError(.io, "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }
}
