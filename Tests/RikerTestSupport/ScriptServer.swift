import Foundation
import RikerCore

/// A real server process for tests: a script (usually Python) started on a free port of
/// 127.0.0.1 and stopped with SIGTERM → SIGKILL by `stop()` (or when the value is freed).
public final class ScriptServer: @unchecked Sendable {
    public let port: Int
    public let process: ChildProcess
    private let dir: TempDir

    /// Runs `python3 SCRIPT PORT EXTRA…` and waits until the port (free one if nil) accepts connections.
    public convenience init(python source: String, arguments: [String] = [], port: Int? = nil, environment: [String: String] = [:], startTimeout: Double = 20) throws {
        let dir = try TempDir("script-server")
        let script = dir.path("server.py")
        try Data(source.utf8).write(to: script)
        let port = port ?? freePort()
        try self.init(executable: "python3", arguments: [script.path, String(port)] + arguments, port: port,
                      environment: environment, dir: dir, startTimeout: startTimeout)
    }

    /// Runs `executable ARGUMENTS` (which must listen on `port`) and waits until it accepts connections.
    public init(executable: String, arguments: [String], port: Int, environment: [String: String] = [:], dir: TempDir? = nil, startTimeout: Double = 20) throws {
        self.port = port
        self.dir = try dir ?? TempDir("script-server")
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var spec = ProcessSpec(executable, arguments, environment: env)
        let log = open(self.dir.path("server.log").path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(log) }
        spec.stdout = .fd(log)
        spec.stderr = .fd(log)
        process = try ChildProcess.spawn(spec)
        let deadline = Date().addingTimeInterval(startTimeout)
        while !Self.accepts(port: port) {
            if let status = process.poll() {
                throw RikerError(.process, "\(executable) exited (\(status)) before listening on \(port): \(logTail)")
            }
            if Date() > deadline {
                process.terminate(grace: 1)
                throw RikerError(.timeout, "\(executable) did not listen on \(port) within \(Int(startTimeout))s: \(logTail)")
            }
            usleep(50_000)
        }
    }

    /// `http://127.0.0.1:PORT`
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The last lines the server printed.
    public var logTail: String {
        let text = (try? String(contentsOf: dir.path("server.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(5).joined(separator: " | ")
    }

    public func stop() {
        process.terminate(grace: 2)
    }

    deinit {
        stop()
        dir.remove()
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool { Loopback.accepts(port) }
}
