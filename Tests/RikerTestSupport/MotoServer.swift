import Foundation
import RikerCore

/// A real `moto_server` (S3, IAM, EC2, Auto Scaling, ELBv2 APIs) on 127.0.0.1 with signature
/// checking on: at start an IAM user with an `s3:*`/`*` policy and an access key is made,
/// then authentication is switched on (`/moto-api/reset-auth` 0), so every later request must
/// be signed with that key. A wrong secret gets a 403 SignatureDoesNotMatch.
///
/// `MotoServer.shared` is one server per test process (tests isolate by bucket name); it is
/// stopped when the test process exits, even if it crashes (a watchdog follows the parent).
public final class MotoServer: @unchecked Sendable {
    public let server: ScriptServer
    public let accessKeyId: String
    public let secretAccessKey: String
    public let region = "us-east-1"

    public var endpoint: String { server.baseURL }

    /// Environment for clients: credentials, region, `AWS_ENDPOINT_URL`, no instance metadata.
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKeyId, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": region,
         "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true", "HOME": NSTemporaryDirectory()]
    }

    nonisolated(unsafe) private static var sharedServer: MotoServer?
    private static let sharedLock = NSLock()

    /// The process-wide server, started on first use.
    public static func shared() throws -> MotoServer {
        sharedLock.lock(); defer { sharedLock.unlock() }
        if let s = sharedServer { return s }
        let s = try MotoServer()
        sharedServer = s
        return s
    }

    /// Starts a new server and enables authentication.
    public init() throws {
        let port = freePort()
        _ = try ChildProcess.resolveExecutable("moto_server", path: ProcessInfo.processInfo.environment["PATH"])
        server = try ScriptServer(python: Self.watchdog, arguments: [String(getpid()), "python3", "-c", Self.atomicS3Writes, String(port)],
                                  port: port, startTimeout: 60)
        let setup = try ProcessRunner.capture(ProcessSpec("python3", ["-c", Self.setupScript, "http://127.0.0.1:\(port)"]), timeout: 60)
        guard setup.status.succeeded, let line = setup.output.split(separator: "\n").last(where: { $0.hasPrefix("KEY ") }) else {
            server.stop()
            throw RikerError(.process, "moto IAM setup failed (\(setup.status)): \(setup.output.suffix(500))")
        }
        let parts = line.split(separator: " ")
        accessKeyId = String(parts[1])
        secretAccessKey = String(parts[2])
    }

    public func stop() { server.stop() }

    /// Runs the server command and stops it when the test process (argv[1]) is gone.
    static let watchdog = #"""
import os, signal, subprocess, sys, time
parent, cmd = int(sys.argv[2]), sys.argv[3:]
child = subprocess.Popen(cmd)
def stop(*_):
    child.terminate()
    try: child.wait(5)
    except subprocess.TimeoutExpired: child.kill()
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while child.poll() is None:
    if os.getppid() != parent: stop()
    time.sleep(0.5)
"""#

    /// moto's server app with its S3 writes made one at a time. moto checks `If-None-Match` and
    /// `If-Match` and then writes, with no lock between, on a threaded server: two racing
    /// conditional PUTs can both succeed, which S3 never allows. The store's release claims and
    /// deploy lock rely on S3's guarantee, so the tests give moto that guarantee (reads and
    /// the other services stay concurrent; an SQS long poll must not hold a lock).
    static let atomicS3Writes = #"""
import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
writes = threading.Lock()
def serialized(environ, start_response):
    if environ.get("REQUEST_METHOD") in ("PUT", "POST", "DELETE") and "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
        with writes:
            return list(app(environ, start_response))
    return app(environ, start_response)
run_simple("127.0.0.1", int(sys.argv[1]), serialized, threaded=True)
"""#

    static let setupScript = #"""
import json, sys, urllib.request, boto3
url = sys.argv[1]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="riker-test")
iam.put_user_policy(UserName="riker-test", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="riker-test")["AccessKey"]
urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})).read()
print("KEY", key["AccessKeyId"], key["SecretAccessKey"])
"""#
}
