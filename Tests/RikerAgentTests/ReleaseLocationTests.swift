import Foundation
import RikerCore
import Testing
@testable import RikerAgent

struct ReleaseLocationTests {
    @Test func fileURLNamesTheStoreAppEnvAndVersion() throws {
        let l = try ReleaseLocation(parsing: "file:///var/lib/riker/store/apps/web/staging/releases/v12/release.json")
        #expect(l == ReleaseLocation(storeURL: "file:///var/lib/riker/store", app: "web", env: "staging", version: 12))
    }

    @Test func plainPathAndS3URLAreAccepted() throws {
        #expect(try ReleaseLocation(parsing: "/srv/store/apps/web/production/releases/v3/release.json").storeURL == "/srv/store")
        let s3 = try ReleaseLocation(parsing: "s3://bucket/riker/apps/web/production/releases/v4/release.json")
        #expect(s3 == ReleaseLocation(storeURL: "s3://bucket/riker", app: "web", env: "production", version: 4))
    }

    @Test func anythingElseIsRefused() {
        for bad in ["/srv/store/apps/web/production/releases/v0/release.json",
                    "/srv/store/apps/Web/production/releases/v1/release.json",
                    "/srv/store/apps/web/production/releases/v1/slug.tar.gz",
                    "release.json"] {
            #expect(throws: RikerError.self) { try ReleaseLocation(parsing: bad) }
        }
    }
}
