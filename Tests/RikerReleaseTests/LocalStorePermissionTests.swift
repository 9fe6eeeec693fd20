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
}
