import CCurl
import Foundation
import RikerCore

/// The state of one transfer that libcurl's callbacks read and write (passed as their userdata).
final class Transfer {
    // Request body.
    private let bodyData: Data
    private var bodyFD: Int32 = -1
    private let bodyOffset: Int64
    private let bodyLength: Int64
    private var bodyPosition: Int64 = 0

    // Response.
    private let sink: HTTPResponseSink
    private var sinkFD: Int32 = -1
    var status = 0
    var headers: [String: String] = [:]
    var body = Data()
    /// A local failure (reading the body file, writing the sink) that made a callback abort.
    var localError: RikerError?
    weak var handle: HTTPConnection?

    init(body: HTTPBody, sink: HTTPResponseSink) throws {
        self.sink = sink
        switch body {
        case .none:
            bodyData = Data(); bodyOffset = 0; bodyLength = 0
        case .data(let d):
            bodyData = d; bodyOffset = 0; bodyLength = Int64(d.count)
        case .file(let url, let offset, let length):
            bodyData = Data(); bodyOffset = offset; bodyLength = length
            bodyFD = open(url.path, O_RDONLY | O_CLOEXEC)
            guard bodyFD >= 0 else { throw RikerError.posix("cannot open", path: url.path) }
        }
    }

    deinit {
        if bodyFD >= 0 { close(bodyFD) }
        if sinkFD >= 0 { close(sinkFD) }
    }

    /// Flushes and closes the sink file; creates it empty if a 2xx response had no body.
    func finish() throws {
        if case .file(let url, _) = sink, (200..<300).contains(status), sinkFD < 0 {
            sinkFD = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard sinkFD >= 0 else { throw RikerError.posix("cannot create", path: url.path) }
        }
        if sinkFD >= 0 {
            let fd = sinkFD
            sinkFD = -1
            guard close(fd) == 0 else { throw RikerError.posix("cannot write", path: sinkPath) }
        }
    }

    private var sinkPath: String {
        if case .file(let url, _) = sink { return url.path }
        return "response body"
    }

    // MARK: callbacks

    /// Fills `buffer` with the next body bytes; returns 0 at the end, CURL_READFUNC_ABORT on failure.
    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let remaining = bodyLength - bodyPosition
        guard remaining > 0 else { return 0 }
        let n = Int(min(Int64(max), remaining))
        if bodyFD >= 0 {
            var done = 0
            while done < n {
                let r = pread(bodyFD, buffer + done, n - done, off_t(bodyOffset + bodyPosition) + off_t(done))
                if r < 0 && errno == EINTR { continue }
                if r <= 0 {
                    localError = r < 0 ? RikerError.posix("cannot read the request body from", path: "fd \(bodyFD)")
                        : RikerError(.io, "the request body file ended \(bodyLength - bodyPosition - Int64(done)) bytes early (was it changed during the upload?)")
                    return Int(CURL_READFUNC_ABORT)
                }
                done += r
            }
        } else {
            let start = Int(bodyPosition)
            bodyData.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + start, byteCount: n)
            }
        }
        bodyPosition += Int64(n)
        return n
    }

    func seek(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= bodyLength else { return false }
        bodyPosition = offset
        return true
    }

    func header(_ line: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("HTTP/") {
            // A new response (after 100 Continue or a redirect): start over.
            headers = [:]
            let parts = text.split(separator: " ", maxSplits: 2)
            if parts.count >= 2, let s = Int(parts[1]) { status = s }
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].lowercased()
        headers[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    /// Takes a chunk of the body; returns false to abort the transfer.
    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if case .file(let url, let observe) = sink, (200..<300).contains(status) {
            if sinkFD < 0 {
                sinkFD = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard sinkFD >= 0 else { localError = RikerError.posix("cannot create", path: url.path); return false }
            }
            var done = 0
            while done < chunk.count {
                let w = Glibc.write(sinkFD, chunk.baseAddress! + done, chunk.count - done)
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { localError = RikerError.posix("cannot write", path: url.path); return false }
                done += w
            }
            observe?(chunk)
        } else {
            body.append(chunk.bindMemory(to: UInt8.self))
        }
        return true
    }
}

// C entry points: they capture nothing, so they convert to C function pointers.

let curlReadCallback: riker_curl_data_cb = { buffer, size, count, userdata in
    let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    return t.read(into: buffer!, max: size * count)
}

let curlSeekCallback: riker_curl_seek_cb = { userdata, offset, origin in
    let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    guard origin == SEEK_SET else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
    return t.seek(to: Int64(offset)) ? Int32(CURL_SEEKFUNC_OK) : Int32(CURL_SEEKFUNC_FAIL)
}

let curlHeaderCallback: riker_curl_data_cb = { buffer, size, count, userdata in
    let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    buffer!.withMemoryRebound(to: UInt8.self, capacity: n) { t.header(UnsafeBufferPointer(start: $0, count: n)) }
    return n
}

let curlWriteCallback: riker_curl_data_cb = { buffer, size, count, userdata in
    let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    return t.write(UnsafeRawBufferPointer(start: buffer, count: n)) ? n : 0
}
