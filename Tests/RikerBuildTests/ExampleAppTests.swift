import Foundation
import RikerCore
import Testing
@testable import RikerBuild

/// The sample apps in examples/ build (or fail) as their READMEs say.
@Suite struct ExampleAppTests {
    static let examples = BuildFixture.builtinBuildpacks.deletingLastPathComponent().appendingPathComponent("examples")

    private func build(_ example: String) throws -> (BuildFixture, Result<BuildResult, Error>, [String]) {
        let f = try BuildFixture()
        try FileManager.default.removeItem(at: f.app)
        try copyTree(Self.examples.appendingPathComponent(example), to: f.app)
        let (result, lines) = f.build(timeout: 120)
        return (f, result, lines)
    }

    @Test func flaskAppInstallsGunicornAndRunsItsProcfile() throws {
        let (f, result, lines) = try build("python-flask"); defer { f.remove() }
        let built = try result.get()
        #expect(built.builder == "buildpack:python")
        #expect(built.processTypes == ["web": "gunicorn app:app --bind 0.0.0.0:$PORT"])
        #expect(lines.contains("       Procfile declares types -> web"))
        #expect(FileManager.default.isExecutableFile(atPath: f.app.appendingPathComponent(".heroku/python/bin/gunicorn").path))
    }

    @Test func staticSiteIsServedByTheStaticBuildpack() throws {
        let (f, result, lines) = try build("static-site"); defer { f.remove() }
        #expect(try result.get().processTypes == ["web": "python3 .riker/static_server.py $PORT ."])
        #expect(f.exists(".riker/static_server.py"))
        #expect(lines.contains("-----> Static HTML app detected"))
        #expect(lines.contains("       Procfile declares types     -> (none)"))
        #expect(lines.contains("       Default types for buildpack -> web"))
    }

    @Test func procfileOnlyAppNeedsNoCompiling() throws {
        let (f, result, lines) = try build("procfile-only"); defer { f.remove() }
        #expect(try result.get() == BuildResult(builder: "buildpack:procfile", processTypes: ["web": "python3 -m http.server $PORT"]))
        #expect(lines.contains("-----> Nothing to compile: the app runs as its Procfile says"))
    }

    @Test func failingBuildExampleFails() throws {
        let (f, result, lines) = try build("failing-build"); defer { f.remove() }
        #expect(result.rikerError?.message == "buildpack python failed (exit code 1)")
        #expect(lines.contains(" !     pip could not install requirements.txt (see the error above)"))
    }
}
