import Foundation
import RikerCore

/// A real `git daemon` on a free 127.0.0.1 port serving every repository under `base`
/// read-only: `git://127.0.0.1:PORT/NAME.git` is `base/NAME.git`. Stopped by `stop()`.
public final class GitDaemon: @unchecked Sendable {
    public let base: URL
    private let server: ScriptServer

    public init(base: URL) throws {
        self.base = base
        let port = freePort()
        let pidDir = try TempDir("git-daemon")
        server = try ScriptServer(executable: "git", arguments: [
            "daemon", "--reuseaddr", "--export-all", "--informative-errors", "--listen=127.0.0.1", "--port=\(port)",
            "--base-path=\(base.path)", "--pid-file=\(pidDir.path("pid").path)", base.path,
        ], port: port, environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"], dir: pidDir)
    }

    /// `git://127.0.0.1:PORT/NAME`
    public func url(_ name: String) -> String { "git://127.0.0.1:\(server.port)/\(name)" }

    public func stop() { server.stop() }
}
