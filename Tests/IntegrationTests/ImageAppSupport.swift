import Foundation
import RikerCore
import RikerTestSupport

/// What Dockerfile app tests need around a `RikerServer`: its podman store, app repositories
/// with Debian's static busybox in them, and a look at the blobs in its local store.
extension RikerServer {
    /// The podman store Riker builds in (`ROOT/containers`), which the local target's agents share.
    var engine: ContainerEngine { Self.podman(storage: root.appendingPathComponent("containers")) }

    static func podman(storage: URL) -> ContainerEngine {
        ContainerEngine(kind: .podman, executable: "/usr/bin/podman", storage: storage)
    }

    /// Stops the server, then empties and unmounts the podman stores (the server's and `others`)
    /// before its files are removed.
    func stopWithImages(also others: [ContainerEngine] = []) {
        stopProcesses()
        PodmanFixture.clean([engine] + others, mountsUnder: dir.url)
        dir.remove()
    }

    /// Every blob file of `app` in the local store, by name, with its inode and modification time:
    /// an upload writes a new file (new inode), so an unchanged map means nothing was uploaded.
    func storedBlobs(_ app: String) -> [String: String] {
        let dir = root.appendingPathComponent("store/apps/\(app)/blobs/sha256")
        var blobs: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
            var st = stat()
            guard stat(dir.appendingPathComponent(name).path, &st) == 0 else { continue }
            blobs[name] = "\(st.st_ino) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        }
        return blobs
    }

    /// `releases/vN/release.json` of APP (ENV) as JSON.
    func release(_ app: String, _ version: Int, env: String = "production") throws -> [String: Any] {
        let file = root.appendingPathComponent("store/apps/\(app)/\(env)/releases/v\(version)/release.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] ?? [:]
    }

    /// The image manifest digest a release runs (nil for a slug release).
    func manifest(_ app: String, _ version: Int, env: String = "production") throws -> String? {
        (try release(app, version, env: env)["image"] as? [String: Any])?["manifest"] as? String
    }
}

extension AppRepo {
    /// A repository with `files` and Debian's static busybox at `busybox`, committed.
    init(image files: [String: String], in dir: TempDir, name: String) throws {
        try self.init(files: files, in: dir, name: name)
        try FileManager.default.copyItem(atPath: PodmanFixture.busybox, toPath: url.appendingPathComponent("busybox").path)
        try commitAll("busybox")
    }

    func head() throws -> String {
        try Self.git(url, ["rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Polls `body` every 100 ms until it returns true or `timeout` seconds pass (a wait, not a timing assertion).
func eventually(timeout: Double = 20, _ body: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try body() { return true }
        usleep(100_000)
    }
    return try body()
}

/// The body served at `url`, trimmed; nil unless it answers 200.
func body(_ url: String) -> String? {
    guard let r = try? httpGet(url), r.status == 200 else { return nil }
    return r.body.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Command lines of every process on this machine (NULs as spaces).
func allCommandLines() -> [Int32: String] {
    var lines: [Int32: String] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
        lines[pid] = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }
    return lines
}
