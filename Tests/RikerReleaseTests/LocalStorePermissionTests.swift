import Foundation
import RikerCore
import RikerTestSupport
import Testing
@testable import RikerRelease

@Suite struct LocalStorePermissionTests {
    @Test func storeDirectoryAndObjectsAreTheOwnersAlone() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let root = dir.path("store")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let store = LocalReleaseStore(directory: root)
        try await store.updateConfig("web", "production") { $0["SECRET"] = "s3cr3t" }
        var st = stat()
        #expect(stat(root.path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o700)
        #expect(stat(root.appendingPathComponent("apps/web/production/config.env").path, &st) == 0)
        #expect(st.st_mode & 0o077 == 0)
    }

    /// Root (riker serve) storing into the store of the `riker` user while that user reads the
    /// same keys (a push's hook following its build log): every read succeeds, because a file
    /// is the owner's before it appears under its name.
    @Test(.enabled(if: geteuid() == 0)) func theOwnerNeverFindsAnObjectRootIsWritingUnreadable() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        chmod(dir.url.path, 0o711)
        let root = dir.path("store")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chown(root.path, 65534, 65534)
        let store = LocalReleaseStore(directory: root)
        try await store.put("status", Data("0".utf8), condition: .always)
        let source = dir.path("log")
        try Data("line\n".utf8).write(to: source)
        try await store.upload("build.log", from: source, tags: [:])
        // The owner reads both keys in a loop until told to stop, failing on any refusal.
        let reader = """
        import os, sys, time
        stop, paths = sys.argv[1], sys.argv[2:]
        n = 0
        while not os.path.exists(stop):
            for p in paths:
                with open(p, "rb") as f: f.read()
            n += 1
        print(n)
        """
        let stop = dir.path("stop")
        let task = Task.detached {
            try sh("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", reader, stop.path,
                               root.appendingPathComponent("status").path, root.appendingPathComponent("build.log").path], timeout: 120)
        }
        for i in 0..<300 {
            try await store.put("status", Data("\(i)".utf8), condition: .always)
            try await store.upload("build.log", from: source, tags: [:])
        }
        FileManager.default.createFile(atPath: stop.path, contents: nil)
        let result = try await task.value
        #expect(result.succeeded, "the owner could not read a key root was writing: \(result.output.suffix(400))")
    }
}
