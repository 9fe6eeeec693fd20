import Foundation
import RikerCore

/// A real OpenSSH sshd on a free 127.0.0.1 port that lets the keys given to `authorize` run
/// git (`git-upload-pack '/path/repo.git'`) as the current user: what a git host looks like
/// to a fetch with a deploy key. Stopped by `stop()` (or when freed).
public final class GitSSHServer: @unchecked Sendable {
    public let port: Int
    public let user: String
    /// The server's host key, `ssh-ed25519 AAAA…` (pin it as `127.0.0.1 ssh-ed25519 AAAA…`).
    public let hostKey: String
    private let dir: TempDir
    private let process: ChildProcess

    public init() throws {
        dir = try TempDir("git-sshd")
        port = freePort()
        user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        let hostKeyFile = dir.path("host_ed25519")
        let keygen = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKeyFile.path])
        guard keygen.succeeded else { throw RikerError(.process, "ssh-keygen: \(keygen.output)") }
        hostKey = try String(contentsOf: URL(fileURLWithPath: hostKeyFile.path + ".pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try Data().write(to: dir.path("authorized_keys"))
        let config = dir.path("sshd_config")
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(hostKeyFile.path)
        PidFile \(dir.path("sshd.pid").path)
        AuthorizedKeysFile \(dir.path("authorized_keys").path)
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        StrictModes no
        UsePAM no

        """.write(to: config, atomically: true, encoding: .utf8)
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        var spec = ProcessSpec("/usr/sbin/sshd", ["-D", "-e", "-f", config.path])
        let log = open(dir.path("sshd.log").path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        spec.stderr = .fd(log)
        spec.stdout = .fd(log)
        defer { close(log) }
        process = try ChildProcess.spawn(spec)
        let deadline = Date().addingTimeInterval(20)
        while !Loopback.accepts(port) {
            if let status = process.poll() { throw RikerError(.process, "sshd exited (\(status)): \(self.log)") }
            guard Date() < deadline else { process.terminate(grace: 1); throw RikerError(.timeout, "sshd did not listen on \(port)") }
            usleep(50_000)
        }
    }

    /// Lets the holder of `publicKey` (`ssh-ed25519 AAAA… comment`) in, without a pty or forwarding.
    public func authorize(_ publicKey: String) throws {
        let handle = try FileHandle(forWritingTo: dir.path("authorized_keys"))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data("restrict \(publicKey.trimmingCharacters(in: .whitespacesAndNewlines))\n".utf8))
    }

    /// `ssh://USER@127.0.0.1:PORT/ABSOLUTE-PATH`
    public func url(_ path: URL) -> String { "ssh://\(user)@127.0.0.1:\(port)\(path.path)" }

    /// `127.0.0.1 ssh-ed25519 AAAA…`, a known_hosts line for this server.
    public var knownHostsLine: String { "127.0.0.1 \(hostKey)" }

    /// What sshd logged (why a key was refused).
    public var log: String { (try? String(contentsOf: dir.path("sshd.log"), encoding: .utf8)) ?? "" }

    public func stop() { process.terminate(grace: 5) }

    deinit {
        stop()
        dir.remove()
    }
}
