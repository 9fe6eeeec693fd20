import Foundation
import RikerCore

/// A real rsyslogd on 127.0.0.1 for drain tests: its own config, pid file and work directory,
/// no system logging; one imtcp input (octet-counted framing, optionally TLS through the
/// OpenSSL stream driver) whose messages an omfile action writes to `output`, one per line,
/// as `HOSTNAME|APP-NAME|PROCID|MSGID|SD|TIMESTAMP|MSG`.
///
/// Runs in the foreground (`rsyslogd -n -f CONF -i PIDFILE`) as a child of the test; `stop()`
/// ends it (SIGTERM, then SIGKILL) and `start()` starts it again on the same port.
public final class RsyslogServer: @unchecked Sendable {
    /// One message as rsyslog parsed it.
    public struct Received: Equatable {
        public var hostname, appName, procID, msgID, structuredData, timestamp, message: String
        public init(hostname: String, appName: String, procID: String, msgID: String, structuredData: String, timestamp: String, message: String) {
            self.hostname = hostname; self.appName = appName; self.procID = procID; self.msgID = msgID
            self.structuredData = structuredData; self.timestamp = timestamp; self.message = message
        }
    }

    public let port: Int
    public let dir: TempDir
    public let tls: Bool
    private var process: ChildProcess?
    private var generation = 0

    public var output: URL { dir.path("received.log") }
    /// The self-signed certificate a TLS server presents (the CA file for the drain).
    public var certificate: URL { dir.path("cert.pem") }

    public init(tls: Bool = false) throws {
        dir = try TempDir("rsyslog")
        port = freePort()
        self.tls = tls
        try FileManager.default.createDirectory(at: dir.path("work"), withIntermediateDirectories: true)
        if tls {
            let r = try sh("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                       "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                       "-keyout", dir.path("key.pem").path, "-out", certificate.path], timeout: 60)
            guard r.succeeded else { throw RikerError(.process, "openssl req failed: \(r.output)") }
        }
        try Data(config.utf8).write(to: dir.path("rsyslog.conf"))
        try start()
    }

    deinit {
        stop()
        dir.remove()
    }

    private var config: String {
        let d = dir.url.path
        let tlsGlobals = tls ? #" DefaultNetstreamDriverCAFile="\#(d)/cert.pem" DefaultNetstreamDriverCertFile="\#(d)/cert.pem" DefaultNetstreamDriverKeyFile="\#(d)/key.pem""# : ""
        let tlsModule = tls ? #" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon""# : ""
        return """
        global(workDirectory="\(d)/work"\(tlsGlobals))
        module(load="imtcp"\(tlsModule))
        template(name="fields" type="string" string="%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%timereported:::date-rfc3339%|%msg%\\n")
        ruleset(name="drain") { action(type="omfile" file="\(d)/received.log" template="fields") }
        input(type="imtcp" address="127.0.0.1" port="\(port)" ruleset="drain" supportOctetCountedFraming="on")
        """
    }

    /// Starts rsyslogd and waits until it accepts connections.
    public func start() throws {
        generation += 1
        var spec = ProcessSpec("rsyslogd", ["-n", "-f", dir.path("rsyslog.conf").path, "-i", dir.path("rsyslogd-\(generation).pid").path],
                               environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        let log = open(dir.path("rsyslogd.out").path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { close(log) }
        spec.stdout = .fd(log)
        spec.stderr = .fd(log)
        let child = try ChildProcess.spawn(spec)
        process = child
        let deadline = Date().addingTimeInterval(30)
        while !Loopback.accepts(port) {
            if let status = child.poll() { throw RikerError(.process, "rsyslogd exited (\(status)): \(diagnostics)") }
            if Date() > deadline {
                child.terminate(grace: 1)
                throw RikerError(.timeout, "rsyslogd did not listen on \(port): \(diagnostics)")
            }
            usleep(20_000)
        }
    }

    /// Stops rsyslogd (SIGTERM, then SIGKILL after 5 s).
    public func stop() {
        process?.terminate(grace: 5)
        process = nil
    }

    /// What rsyslogd printed itself, for failure messages.
    public var diagnostics: String {
        ((try? String(contentsOf: dir.path("rsyslogd.out"), encoding: .utf8)) ?? "").split(separator: "\n").suffix(5).joined(separator: " | ")
    }

    /// The messages written so far.
    public func received() -> [Received] {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 7 else { return nil }
            return Received(hostname: f[0], appName: f[1], procID: f[2], msgID: f[3], structuredData: f[4], timestamp: f[5], message: f[6])
        }
    }
}
