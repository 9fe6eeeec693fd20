import Foundation
import RikerCore
#if canImport(Glibc)
import Glibc
#endif

/// A size-bounded local log: `FILE` and the previous generation `FILE.1`, each at most half
/// of `capacity`, so the two together never exceed it whatever a process writes.
///
/// When `FILE` would grow past its half it becomes `FILE.1` (replacing the older one) and a
/// new `FILE` starts. Lines are never split across the two files. Write errors (a full disk)
/// are counted, not thrown: an app's output must not stop because its local copy cannot be kept.
public final class RotatingLogFile: @unchecked Sendable {
    public let file: URL
    public let capacity: Int
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var size = 0
    public private(set) var writeErrors = 0

    /// The smallest capacity: each half must hold the longest line (16 KiB) with its prefix.
    public static let minimumCapacity = 2 * (16 * 1024 + 512)

    /// The previous generation.
    public var previousFile: URL { URL(fileURLWithPath: file.path + ".1") }

    /// Opens (or continues) `file`. Throws if its directory cannot be created or the file opened.
    public init(file: URL, capacity: Int) throws {
        self.file = file
        self.capacity = max(capacity, Self.minimumCapacity)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try lock.withLock {
            try openCurrent(truncate: false)
            if size > half { try rotate() }
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    private var half: Int { capacity / 2 }

    /// Appends complete lines (each ending in `\n`).
    public func append(_ bytes: UnsafeRawBufferPointer) {
        lock.withLock {
            guard fd >= 0 else { return }
            var rest = bytes
            while rest.count > 0 {
                let room = half - size
                if rest.count <= room {
                    write(rest)
                    return
                }
                // Fill this generation up to its last whole line that fits, then rotate.
                var cut = room
                while cut > 0, rest[cut - 1] != 0x0a { cut -= 1 }
                if cut == 0 && size == 0 { cut = min(rest.count, half) }
                if cut > 0 { write(UnsafeRawBufferPointer(rebasing: rest[..<cut])) }
                rest = UnsafeRawBufferPointer(rebasing: rest[cut...])
                do { try rotate() } catch { writeErrors += 1; return }
            }
        }
    }

    public func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    /// The last `maxBytes` (at most) of the log, older generation first, starting at a whole line.
    public func tail(maxBytes: Int = 64 * 1024) -> Data {
        lock.withLock {
            var data = (try? Data(contentsOf: previousFile)) ?? Data()
            data.append((try? Data(contentsOf: file)) ?? Data())
            guard data.count > maxBytes else { return data }
            var start = data.count - maxBytes
            while start < data.count, data[data.startIndex + start - 1] != 0x0a { start += 1 }
            return data.suffix(from: data.startIndex + start)
        }
    }

    /// Closes the file; later appends are ignored.
    public func close() {
        lock.withLock {
            if fd >= 0 { Glibc.close(fd); fd = -1 }
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        if writeAll(fd, bytes) { size += bytes.count } else { writeErrors += 1 }
    }

    private func rotate() throws {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        if rename(file.path, previousFile.path) != 0 && errno != ENOENT {
            throw RikerError.posix("cannot rotate", path: file.path)
        }
        try openCurrent(truncate: true)
    }

    private func openCurrent(truncate: Bool) throws {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        fd = open(file.path, flags, 0o640)
        guard fd >= 0 else { throw RikerError.posix("cannot open log", path: file.path) }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }
}
