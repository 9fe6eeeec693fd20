import Foundation

/// Cuts a byte stream into lines of at most `maxLength` bytes.
///
/// A line is what comes before `\n` (a `\r` before it is dropped). A line longer than
/// `maxLength` is emitted in pieces of at most `maxLength` bytes, cut before a UTF-8
/// sequence rather than inside it, so memory stays bounded whatever a process writes and
/// every byte is kept. Work is linear in the input: the unfinished tail is the only copy.
public struct LineSplitter: Sendable {
    public let maxLength: Int
    private var partial: [UInt8] = []
    /// Lines emitted in pieces because they were too long.
    public private(set) var cutLines = 0

    public init(maxLength: Int = 16 * 1024) {
        precondition(maxLength >= 4, "a line must hold at least one character")
        self.maxLength = maxLength
        partial.reserveCapacity(min(maxLength, 4096))
    }

    /// Whether bytes of an unfinished line are waiting for their newline.
    public var hasPartialLine: Bool { !partial.isEmpty }

    /// Splits `bytes`, calling `emit` with each complete line (valid only during the call).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            let found = memchr(base + start, 0x0a, bytes.count - start)
            let end = found.map { UnsafeRawPointer($0) - base } ?? bytes.count
            let segment = UnsafeRawBufferPointer(start: base + start, count: end - start)
            if found == nil {
                append(segment, emit: emit)
                return
            }
            if partial.isEmpty && segment.count <= maxLength {
                emit(Self.trimCR(segment))
            } else {
                append(segment, emit: emit)
                let line = partial
                partial.removeAll(keepingCapacity: true)
                line.withUnsafeBytes { emit(Self.trimCR($0)) }
            }
            start = end + 1
        }
    }

    /// Emits the unfinished line, if any (at end of stream, or when the writer went quiet).
    public mutating func flush(emit: (UnsafeRawBufferPointer) -> Void) {
        guard !partial.isEmpty else { return }
        let line = partial
        partial.removeAll(keepingCapacity: true)
        line.withUnsafeBytes { emit(Self.trimCR($0)) }
    }

    /// Adds bytes to the unfinished line, emitting full-length pieces as they fill up.
    private mutating func append(_ segment: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) {
        var rest = segment
        while partial.count + rest.count > maxLength {
            var take = maxLength - partial.count
            // Do not split a UTF-8 sequence: back up over continuation bytes (10xxxxxx) at the cut.
            var backed = 0
            while take > 0, backed < 3, rest[take] & 0xc0 == 0x80 { take -= 1; backed += 1 }
            if take == 0 && partial.isEmpty { take = maxLength }
            partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            cutLines += 1
            let piece = partial
            partial.removeAll(keepingCapacity: true)
            piece.withUnsafeBytes { emit($0) }
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
        }
        partial.append(contentsOf: rest)
    }

    private static func trimCR(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        line.last == 0x0d ? UnsafeRawBufferPointer(rebasing: line.dropLast()) : line
    }
}
