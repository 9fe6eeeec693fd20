import Foundation
import RikerArchive
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerAgent

/// Instances that run image releases: deploy/'s images drop-in (the agent as root for rootful
/// podman, slug processes as the app account), the user data that installs it, and an agent
/// that is not root saying what to do.
@Suite(.serialized)
struct ImageAgentInstallTests {
    static var deployDir: URL { UserDataTests.deployDir }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: deployDir.appendingPathComponent(name), encoding: .utf8)
    }

    /// The last `ExecStart=` with a command in a unit or drop-in.
    static func execStart(_ unit: String) -> String? {
        unit.split(separator: "\n").filter { $0.hasPrefix("ExecStart=") && $0.count > "ExecStart=".count }.last
            .map { String($0.dropFirst("ExecStart=".count)) }
    }

    /// dpkg-query reporting only `installed` as installed; apt-get recording its calls.
    static func packageStubs(installed: [String], calls: URL) -> [String: String] {
        let known = installed.map { "\($0))" }.joined(separator: " | ")
        return [
            "dpkg-query": "#!/bin/sh\nfor p; do :; done\ncase \"$p\" in \(known.isEmpty ? "__none__)" : known) printf 'install ok installed';; *) exit 1;; esac\n",
            "apt-get": "#!/bin/sh\necho \"$*\" >> '\(calls.path)'\n",
        ]
    }

    @Test func theDropInInUserDataIsTheOneInDeployAndRunsTheUnitsCommandWithTheAppUser() throws {
        let script = try Self.text("user-data.sh")
        let start = try #require(script.range(of: "<<'DROPIN'\n"))
        let end = try #require(script.range(of: "\nDROPIN\n", range: start.upperBound..<script.endIndex))
        let dropIn = try Self.text("riker-agent-images.conf")
        #expect(String(script[start.upperBound..<end.lowerBound]) + "\n" == dropIn)

        let unitCommand = try #require(Self.execStart(try Self.text("riker-agent.service")))
        #expect(Self.execStart(dropIn) == unitCommand + " --app-user riker")
        #expect(dropIn.contains("\nExecStart=\n"), "the unit's ExecStart must be reset, not added to")
        #expect(dropIn.contains("\nUser=root\n") && dropIn.contains("\nReadWritePaths=/etc/containers/networks\n"))
    }

    @Test func userDataWithImagesInstallsMissingEnginePackagesAndTheDropIn() throws {
        let imds = try FakeIMDS(instanceID: "i-0images")
        let dist = try TempDir("dist")
        defer { dist.remove() }
        let calls = dist.path("apt.calls")
        let run = try UserDataTests.runUserData([
            "RIKER_STORE": "s3://acme/riker", "RIKER_APP": "shop", "RIKER_AGENT_URL": try UserDataTests.fakeAgent(in: dist).path,
            "RIKER_IMAGES": "yes",
        ], imds: imds.endpoint, stubs: Self.packageStubs(installed: ["podman"], calls: calls))
        defer { run.temp.remove() }
        #expect(run.result.succeeded, "\(run.result)")
        #expect(run.result.output.contains("installing runc catatonit"))
        #expect(run.result.output.contains("serves shop (production) from s3://acme/riker on 0.0.0.0:5000, images enabled"))
        #expect(try String(contentsOf: calls, encoding: .utf8) == "update -qq\ninstall -y -qq runc catatonit\n")
        #expect(run.file("etc/systemd/system/riker-agent.service.d/images.conf") == (try Self.text("riker-agent-images.conf")))
        let networks = run.root.appendingPathComponent("etc/containers/networks").path
        #expect((try FileManager.default.attributesOfItem(atPath: networks)[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(run.systemctlCalls == ["daemon-reload", "enable --now riker-agent.service"])
    }

    @Test func userDataWithoutImagesInstallsNoPackagesAndNoDropIn() throws {
        let imds = try FakeIMDS()
        let dist = try TempDir("dist")
        defer { dist.remove() }
        let calls = dist.path("apt.calls")
        let run = try UserDataTests.runUserData([
            "RIKER_STORE": "s3://acme/riker", "RIKER_APP": "shop", "RIKER_AGENT_URL": try UserDataTests.fakeAgent(in: dist).path,
        ], imds: imds.endpoint, stubs: Self.packageStubs(installed: [], calls: calls))
        defer { run.temp.remove() }
        #expect(run.result.succeeded, "\(run.result)")
        #expect(!FileManager.default.fileExists(atPath: calls.path))
        #expect(run.file("etc/systemd/system/riker-agent.service.d/images.conf") == nil)

        let bad = try UserDataTests.runUserData(["RIKER_STORE": "s3://acme/riker", "RIKER_APP": "shop", "RIKER_AGENT_URL": "/x",
                                                 "RIKER_IMAGES": "maybe"], imds: imds.endpoint)
        defer { bad.temp.remove() }
        #expect(!bad.result.succeeded)
        #expect(bad.result.output.contains("RIKER_IMAGES must be yes or no, not 'maybe'"))
        #expect(bad.systemctlCalls.isEmpty)
    }

    @Test func installAgentStagesTheDropInWithImagesAndRemovesItWithout() throws {
        let temp = try TempDir("install-agent")
        defer { temp.remove() }
        let binary = try UserDataTests.fakeAgent(in: temp)
        chmod(binary.path, 0o755)
        func install(_ extra: [String]) throws -> CommandResult {
            try sh("/bin/bash", [Self.deployDir.appendingPathComponent("install-agent.sh").path, "--binary", binary.path,
                                 "--store", "s3://acme/riker", "--app", "shop", "--instance-id", "i-1"] + extra,
                   env: ["DESTDIR": temp.path("root").path])
        }
        let dropIn = temp.path("root/etc/systemd/system/riker-agent.service.d/images.conf")
        let with = try install(["--images"])
        #expect(with.succeeded, "\(with)")
        #expect(try String(contentsOf: dropIn, encoding: .utf8) == (try Self.text("riker-agent-images.conf")))
        #expect(FileManager.default.fileExists(atPath: temp.path("root/etc/containers/networks").path))

        let without = try install([])
        #expect(without.succeeded, "\(without)")
        #expect(!FileManager.default.fileExists(atPath: dropIn.path), "a reinstall without --images must drop the root drop-in")
        #expect(FileManager.default.fileExists(atPath: temp.path("root/etc/systemd/system/riker-agent.service").path))
    }

    @Test func anAgentThatIsNotRootSaysHowToEnableImages() throws {
        let engine = ContainerEngine(kind: .podman, executable: "/usr/bin/podman", storage: URL(fileURLWithPath: "/tmp/x"))
        #expect(ImageInstaller.privilegeProblem(engine, euid: 0) == nil)
        #expect(ImageInstaller.privilegeProblem(ContainerEngine(kind: .docker, executable: "/usr/bin/docker", storage: nil), euid: 65534) == nil)
        #expect(ImageInstaller.privilegeProblem(engine, euid: 65534) == "riker-agent runs as nobody and podman needs root: install the agent with images enabled (deploy/install-agent.sh --images, or RIKER_IMAGES=yes in deploy/user-data.sh)")
    }

    /// The drop-in's command, run for real as root in the unit's confinement (the account `riker`
    /// replaced by `nobody`, paths inside a temp dir): it serves an image release with podman, then
    /// a slug release whose process runs as the app account and can write its own directory.
    @Test func theDropInCommandRunsImagesAsRootAndSlugProcessesAsTheAppUser() async throws {
        try await withImageHarness { h in
            let ctx = try h.podman.context("app", files: ["Dockerfile": ImageReleaseTests.httpd, "www/index.html": "image served\n"])
            let image = try await h.buildRelease(ctx)

            let dir = h.podman.temp.path("var/lib/riker-agent")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let port = freePort()
            let env = ["RIKER_STORE": "file://" + h.storeDir.path, "RIKER_APP": "demo", "RIKER_ENV": "production",
                       "RIKER_INSTANCE_ID": "i-img", "RIKER_PORT": String(port), "RIKER_HOST": "127.0.0.1"]
            let command = try #require(Self.execStart(try Self.text("riker-agent-images.conf")))
            let words = try command.split(separator: " ").map { word -> String in
                if word.hasPrefix("${") { return try #require(env[String(word.dropFirst(2).dropLast())]) }
                switch word {
                case "/usr/local/bin/riker-agent": return try AgentBinaryTests.binary()
                case "/var/lib/riker-agent": return dir.path
                case "riker": return "nobody"
                default: return String(word)
                }
            }
            let log = h.podman.temp.path("agent.log")
            let fd = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            // The unit's confinement, as systemd would apply it: NoNewPrivileges=true, and
            // ProtectSystem=full (/usr and /etc read-only) but for the drop-in's ReadWritePaths.
            let unit = try Self.text("riker-agent.service") + (try Self.text("riker-agent-images.conf"))
            #expect(unit.contains("\nNoNewPrivileges=true\n") && unit.contains("\nProtectSystem=full\n"))
            let writable = unit.split(separator: "\n").filter { $0.hasPrefix("ReadWritePaths=") }
                .flatMap { $0.dropFirst("ReadWritePaths=".count).split(separator: " ").map(String.init) }
            for path in writable { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            let confine = ["/usr", "/etc"].map { "mount --bind \($0) \($0) && mount -o remount,bind,ro \($0) && " }.joined()
                + writable.map { "mount --bind \($0) \($0) && mount -o remount,bind,rw \($0) && " }.joined()
            var spec = ProcessSpec("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c",
                                                        confine + #"exec /usr/bin/setpriv --no-new-privs "$@""#, "confine"] + words)
            spec.stdout = .fd(fd); spec.stderr = .fd(fd)
            let agent = try ChildProcess.spawn(spec)
            close(fd)
            let agentEngine = h.podman.secondStore("var/lib/riker-agent/containers")
            defer {
                agent.terminate(grace: 10)
                PodmanFixture.clean([agentEngine], mountsUnder: h.podman.temp.url)
            }
            func agentLog() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

            try await h.store.setDesired("demo", "production", instance: "i-img", DesiredRelease(release: image.version, deploy: "d1"))
            #expect(await h.eventually(timeout: 60) { h.get(port) == "image served\n" }, "\(agentLog())")
            let layout = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("images").path)
            #expect((layout[.posixPermissions] as? NSNumber)?.intValue == 0o700, "the fetched blobs are the agent's alone")

            // A slug release of the same app: its web process runs as nobody, in a directory it owns.
            let src = h.podman.temp.path("slug-src")
            try FileManager.default.createDirectory(at: src, withIntermediateDirectories: true)
            try Data("slug\n".utf8).write(to: src.appendingPathComponent("index.html"))
            let packed = try SlugArchive.pack(directory: src, to: h.podman.temp.path("slug.tar.gz"), compression: .gzip)
            let (key, _) = try await h.store.storeSlug(app: "demo", file: packed.file, sha256: packed.sha256, ext: packed.compression.fileExtension, tags: [:])
            let slug = try await h.store.createRelease(Release(
                version: 0, app: "demo", env: "production", commit: String(repeating: "d", count: 40), ref: "refs/heads/main",
                builder: "test", processTypes: ["web": "id -u > uid.txt && exec python3 -m http.server --bind 127.0.0.1 $PORT"],
                artifact: key, sha256: packed.sha256, size: packed.size, config: [:], createdBy: "test", description: "slug"))
            try await h.store.setDesired("demo", "production", instance: "i-img", DesiredRelease(release: slug.version, deploy: "d2"))
            let nobody = String(getpwnam("nobody")!.pointee.pw_uid)
            #expect(await h.eventually(timeout: 60) { h.get(port, "/uid.txt") == nobody + "\n" }, "\(agentLog())")
        }
    }
}
