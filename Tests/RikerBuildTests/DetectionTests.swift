import Foundation
import RikerCore
import Testing
@testable import RikerBuild

@Suite struct DetectionTests {
    @Test func buildpackURLConfigVarBeatsTheBuiltins() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "flask\n", "index.html": "<h1>hi</h1>"])
        let custom = try f.buildpack("custom", compile: "echo '-----> custom compile'; touch \"$1/custom-was-here\"")
        let (result, lines) = f.build(config: ["BUILDPACK_URL": custom.path])
        #expect(try result.get().builder == "buildpack:\(custom.path)")
        #expect(lines.contains("-----> custom app detected"))
        #expect(lines.contains("-----> custom compile"))
        #expect(f.read("custom-was-here") != nil)
        #expect(!lines.contains { $0.contains("Python") })
    }

    @Test func builtinsAreTriedInOrderWithProcfileLast() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["Procfile": "web: python3 -m http.server $PORT\n", "index.html": "<h1>hi</h1>"])
        let (result, lines) = f.build()
        #expect(try result.get().builder == "buildpack:static")
        #expect(lines.contains("-----> Static HTML app detected"))
        // The Procfile still wins over the static buildpack's default web process.
        #expect(try result.get().processTypes == ["web": "python3 -m http.server $PORT"])

        let g = try BuildFixture(); defer { g.remove() }
        try g.writeApp(["Procfile": "web: python3 -m http.server $PORT\n"])
        let (procfileOnly, procfileLines) = g.build()
        #expect(try procfileOnly.get().builder == "buildpack:procfile")
        #expect(procfileLines.contains("-----> Procfile app detected"))
        #expect(procfileLines.contains("       Procfile declares types -> web"))
    }

    @Test func nothingDetectedSaysWhatWasLookedFor() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["README.md": "just text\n"])
        let error = try #require(f.build().result.rikerError)
        #expect(error.code == .buildFailed)
        #expect(!error.message.contains("\n"))
        for expected in ["BUILDPACK_URL", ".buildpacks", "Dockerfile", "requirements.txt", "index.html", "Procfile"] {
            #expect(error.message.contains(expected), "missing \(expected) in: \(error.message)")
        }
    }

    @Test func dockerfileIsTheBuilderUnlessTheAppAsksForBuildpacks() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["Dockerfile": "FROM scratch\n", "Procfile": "web: true\n", "index.html": "hi"])
        #expect(Builder.kind(buildDir: f.app, config: [:]) == .dockerfile)
        #expect(Builder.kind(buildDir: f.app, config: ["BUILDPACK_URL": "heroku/python"]) == .buildpacks)
        let error = try #require(f.build().result.rikerError)
        #expect(error.message == "this app builds from its Dockerfile (DockerfileBuild), not with buildpacks")

        try f.writeApp([".buildpacks": "heroku/python\n"])
        #expect(Builder.kind(buildDir: f.app, config: [:]) == .buildpacks)
        try FileManager.default.removeItem(at: f.app.appendingPathComponent(".buildpacks"))
        try FileManager.default.removeItem(at: f.app.appendingPathComponent("Dockerfile"))
        #expect(Builder.kind(buildDir: f.app, config: [:]) == .buildpacks)
    }

    @Test func explicitBuildpackThatDoesNotDetectFailsTheBuild() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["Procfile": "web: true\n"])
        let picky = try f.buildpack("picky", detect: "exit 1", compile: "true")
        let error = try #require(f.build(config: ["BUILDPACK_URL": picky.path]).result.rikerError)
        #expect(error.message.contains("App not compatible with buildpack: \(picky.path)"))
    }

    @Test func buildpackURLsParseRefsAndLocalPaths() throws {
        #expect(try BuildpackSource(parsing: "https://github.com/x/y.git#v1.2") == .git(url: "https://github.com/x/y.git", ref: "v1.2"))
        #expect(try BuildpackSource(parsing: "file:///srv/bp") == .git(url: "file:///srv/bp", ref: nil))
        #expect(try BuildpackSource(parsing: " /srv/bp ") == .directory(URL(fileURLWithPath: "/srv/bp")))
        #expect(try BuildpackSource(parsing: "heroku/python") == .git(url: "https://github.com/heroku/heroku-buildpack-python", ref: nil))
        #expect(throws: RikerError.self) { try BuildpackSource(parsing: "  ") }
    }
}
