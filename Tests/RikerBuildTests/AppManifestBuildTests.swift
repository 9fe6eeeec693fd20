import Foundation
import RikerCore
import Testing
@testable import RikerBuild

/// The build reads app.json from the pushed app and hands it on in its result.
@Suite struct AppManifestBuildTests {
    @Test func buildResultCarriesTheAppsManifest() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp([
            "Procfile": "web: python3 -m http.server $PORT\nworker: sleep 1000\n",
            "app.json": #"""
                {"scripts": {"postdeploy": "echo seeded"},
                 "formation": {"web": {"quantity": 1}, "worker": {"quantity": 2}},
                 "healthchecks": {"web": [{"type": "startup", "path": "/", "attempts": 4, "timeout": 3, "wait": 1}]}}
                """#,
        ])
        let built = try f.build().result.get()
        #expect(built.manifest == AppManifest(
            scripts: .init(postdeploy: "echo seeded"),
            formation: ["web": .init(quantity: 1), "worker": .init(quantity: 2)],
            healthchecks: ["web": [.init(type: .startup, path: "/", attempts: 4, timeout: 3, wait: 1)]]))

        try FileManager.default.removeItem(at: f.app.appendingPathComponent("app.json"))
        #expect(try f.build().result.get().manifest == nil)
    }

    @Test func invalidManifestFailsTheBuildBeforeAnyBuildpackRuns() throws {
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("marker", compile: "touch \"$1/compiled\"")
        try f.writeApp(["Procfile": "web: true\n", "app.json": #"{"formation": {"web": {"quantity": "one"}}}"#])
        let (result, lines) = f.build(config: ["BUILDPACK_URL": pack.path])
        let error = try #require(result.rikerError)
        #expect(error.code == .buildFailed)
        #expect(error.message == "app.json: formation.web.quantity must be a whole number from 0 to 100, not a string")
        #expect(!f.exists("compiled"))
        #expect(!lines.contains { $0.contains("marker app detected") })
    }

    @Test func manifestLinkingOutsideTheAppIsNotRead() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["Procfile": "web: true\n"])
        try FileManager.default.createSymbolicLink(atPath: f.app.appendingPathComponent("app.json").path, withDestinationPath: "/etc/passwd")
        #expect(f.build().result.rikerError?.message == "app.json is a symlink that points outside the app")
    }
}
