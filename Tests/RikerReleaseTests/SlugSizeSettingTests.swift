import Foundation
import RikerCore
import Testing
@testable import RikerRelease

/// `build.max_slug_mb` in the settings table, and the unpacked size a release records.
@Suite struct SlugSizeSettingTests {
    @Test(arguments: ["1", "500", "2048", "1048576"])
    func acceptsWholeMegabytes(value: String) { #expect(Setting.problem(key: "build.max_slug_mb", value: value) == nil) }

    @Test(arguments: ["0", "-5", "1.5", "500MB", "lots", "1048577"])
    func refusesAnythingElseWithOneLine(value: String) throws {
        let problem = try #require(Setting.problem(key: "build.max_slug_mb", value: value))
        #expect(problem == "build.max_slug_mb must be a whole number of MB from 1 to 1048576")
    }

    @Test func defaultsToHerokusFiveHundredAndAnEnvCanRaiseIt() throws {
        let app = AppSettings(name: "web", envSettings: ["staging": ["build.max_slug_mb": "2000"]])
        let production = try BuildSettings(app, env: "production")
        #expect(production.maxSlugMB == 500 && production.maxSlugBytes == 500 << 20)
        #expect(try BuildSettings(app, env: "staging").maxSlugBytes == 2000 << 20)
        #expect(Setting.named("build.max_slug_mb")?.defaultValue == "500")
    }

    @Test func aBadStoredCapStopsTheBuildNamingTheFix() {
        let app = AppSettings(name: "web", settings: ["build.max_slug_mb": "huge"])
        #expect {
            try BuildSettings(app, env: "production")
        } throws: { e in
            (e as? RikerError)?.message.contains("fix it with apps:set web build.max_slug_mb=VALUE") == true
        }
    }

    @Test func releasesRecordTheirUnpackedSizeAndOldOnesStillDecode() throws {
        let old = """
        {"app":"web","artifact":"apps/web/slugs/x.tar.zst","builder":"buildpack:python","commit":"c","config":{},
         "created_at":"2025-01-02T03:04:05Z","created_by":"k","description":"d","env":"production","process_types":{"web":"x"},
         "ref":"refs/heads/main","sha256":"00","size":1,"version":3}
        """
        var release = try JSONCoding.decode(Release.self, from: Data(old.utf8), what: "old release")
        #expect(release.unpackedSize == nil)
        release.unpackedSize = 123_456
        let text = String(decoding: try JSONCoding.encode(release), as: UTF8.self)
        #expect(text.contains("\"unpacked_size\" : 123456"))
        #expect(try JSONCoding.decode(Release.self, from: Data(text.utf8), what: "release").unpackedSize == 123_456)
    }
}
