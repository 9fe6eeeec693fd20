import Foundation
import RikerCore

/// A real podman with its own throwaway store (`--root` in a temp dir), as Riker runs it,
/// and Dockerfile app contexts to build with it. `remove()` stops every container in that
/// store, resets it and deletes its directories.
public struct PodmanFixture {
    public let temp: TempDir
    public let engine: ContainerEngine

    public init(_ label: String = "riker-podman") throws {
        temp = try TempDir(label)
        let podman = try ChildProcess.resolveExecutable("podman", path: "/usr/local/bin:/usr/bin:/bin")
        engine = ContainerEngine(kind: .podman, executable: podman, storage: temp.path("containers"))
        try engine.prepare()
    }

    /// Another engine on a store of its own (an agent's), removed with this fixture.
    public func secondStore(_ name: String) -> ContainerEngine {
        ContainerEngine(kind: .podman, executable: engine.executable, storage: temp.path(name))
    }

    /// Writes a build context: `files` (path → text), plus `/bin/busybox` copied in when `busybox`.
    public func context(_ name: String, files: [String: String], busybox: Bool = true) throws -> URL {
        let dir = temp.path(name)
        for (path, text) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        if busybox {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("busybox"))
            try FileManager.default.copyItem(atPath: Self.busybox, toPath: dir.appendingPathComponent("busybox").path)
        }
        return dir
    }

    /// Debian's busybox-static: one static binary with sh, httpd, sleep… for `FROM scratch` images.
    public static let busybox = "/bin/busybox"

    /// Removes the containers and images of `engines` (this fixture's too) and their files.
    public func remove(also engines: [ContainerEngine] = []) {
        Self.clean(engines + [engine], mountsUnder: temp.url)
        temp.remove()
    }

    /// Removes the containers and images of `engines` and their run directories, then unmounts
    /// whatever podman left mounted under `dir` (so `dir` can be deleted).
    public static func clean(_ engines: [ContainerEngine], mountsUnder dir: URL) {
        for e in engines {
            // Not `system reset`: it would also remove networks other podman users made.
            _ = try? e.run(["rm", "--all", "--force", "--time", "0"], timeout: 120)
            // Working containers of killed builds (`rm --all` leaves those).
            let external = (try? e.run(["ps", "--all", "--external", "--quiet"], timeout: 60)) ?? ""
            for id in external.split(separator: "\n") { _ = try? e.run(["rm", "--force", String(id)], timeout: 60) }
            _ = try? e.run(["rmi", "--all", "--force"], timeout: 300)
            if let storage = e.storage { try? FileManager.default.removeItem(at: ContainerEngine.runroot(for: storage)) }
        }
        // podman's overlay driver mounts its directory onto itself: unmount what is under ours.
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        let ours = mounts.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 1 && fields[1].hasPrefix(dir.path + "/") ? String(fields[1]) : nil
        }
        for point in ours.sorted(by: { $0.count > $1.count }) { _ = try? sh("/bin/umount", [point], timeout: 60) }
    }

    /// Processes whose command line contains `text` (to check that nothing was left running).
    public static func processes(containing text: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> Int32? in
            guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let cmd = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return cmd.contains(text) ? pid : nil
        }
    }
}

/// A Debian bookworm root file system with python3 (mmdebstrap, ~60-100 s), made once per
/// machine and kept in /var/tmp/riker-test-images keyed by `version`, for image tests that need
/// a real base. `podman import` turns it into an image without any registry.
public enum PythonBaseImage {
    public static let version = "bookworm-python3-v1"
    public static var cacheDir: URL { URL(fileURLWithPath: "/var/tmp/riker-test-images").appendingPathComponent(version) }

    /// The cached rootfs tarball, built first if absent (under a lock, so parallel tests wait).
    public static func rootfs() throws -> URL {
        let tar = cacheDir.appendingPathComponent("rootfs.tar")
        try FileManager.default.createDirectory(at: cacheDir, withIntermediateDirectories: true)
        return try FileLock.withLock(cacheDir.appendingPathComponent(".lock")) {
            if FileManager.default.fileExists(atPath: tar.path) { return tar }
            // mmdebstrap picks the output format from the name: keep `.tar` at its end.
            let partial = cacheDir.appendingPathComponent("rootfs-partial.tar")
            try? FileManager.default.removeItem(at: partial)
            let r = try sh("mmdebstrap", ["--quiet", "--variant=minbase", "--include=python3", "bookworm", partial.path], timeout: 1200)
            guard r.succeeded else { throw RikerError(.process, "mmdebstrap failed: \(r.output.suffix(500))") }
            guard rename(partial.path, tar.path) == 0 else { throw RikerError.posix("cannot keep", path: tar.path) }
            return tar
        }
    }

    /// Imports the base into `engine`'s store as `name` (a few seconds once the rootfs is cached).
    public static func importInto(_ engine: ContainerEngine, as name: String = "localhost/riker-test-python:1") throws -> String {
        try engine.run(["import", "--quiet", try rootfs().path, name], timeout: 600)
        return name
    }
}
