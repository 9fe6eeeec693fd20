import Foundation
import RikerCore
import Testing
@testable import RikerBuild

/// The built-in python buildpack against real pip and PyPI.
@Suite(.serialized) struct PythonBuildpackTests {
    @Test func installsRequirementsAndReusesThemWhenUnchanged() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "six==1.16.0\n", "app.py": "import six\nprint('six', six.__version__)\n"])

        let (first, lines) = f.build(timeout: 120)
        let result = try first.get()
        #expect(result.builder == "buildpack:python")
        #expect(result.processTypes == ["web": "python app.py"])
        #expect(lines.contains("-----> Python app detected"))
        #expect(lines.contains("-----> Installing requirements with pip"))
        #expect(lines.contains { $0.hasPrefix("       Successfully installed six-1.16.0") })
        #expect(lines.contains("       Default types for buildpack -> web"))
        #expect(FileManager.default.fileExists(atPath: f.app.appendingPathComponent(".heroku/python/lib/six.py").path))
        #expect(f.read(".profile.d/python.sh")?.contains("PYTHONPATH=\"$HOME/.heroku/python/lib") == true)

        // At runtime HOME is the app dir: .profile.d makes the installed package importable.
        let run = ProcessSpec("/bin/bash", ["-c", "source .profile.d/python.sh && python app.py"],
                              environment: ["PATH": BuildSandbox.path, "HOME": f.app.path], workingDirectory: f.app)
        let (out, status) = try ProcessRunner.capture(run, timeout: 30)
        #expect(status.succeeded && out == "six 1.16.0", "\(out)")

        // Second push with the same requirements.txt: nothing is installed, the cached packages are used.
        try FileManager.default.removeItem(at: f.app.appendingPathComponent(".heroku"))
        let (second, again) = f.build(timeout: 120)
        _ = try second.get()
        #expect(again.contains("       requirements.txt unchanged; reusing cached packages"))
        #expect(!again.contains("-----> Installing requirements with pip"))
        #expect(!again.contains { $0.contains("Collecting") || $0.contains("Successfully installed") })
        #expect(FileManager.default.fileExists(atPath: f.app.appendingPathComponent(".heroku/python/lib/six.py").path))
    }

    @Test func unknownPackageFailsTheBuildWithPipsError() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "riker-no-such-package-for-tests==1.0\n"])
        let (result, lines) = f.build(timeout: 120)
        let error = try #require(result.rikerError)
        #expect(error.message == "buildpack python failed (exit code 1)")
        #expect(lines.contains { $0.contains("No matching distribution found for riker-no-such-package-for-tests") })
    }

    @Test func gunicornInRequirementsGivesAGunicornWebDefault() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "gunicorn\n", "app.py": ""])
        // Only the release step is exercised here: no pip run is needed to pick the default.
        let release = Buildpack(source: .builtin(name: "python", dir: BuildFixture.builtinBuildpacks.appendingPathComponent("python")),
                                dir: BuildFixture.builtinBuildpacks.appendingPathComponent("python"))
        let sandbox = BuildSandbox(home: f.tmp, sourceVersion: nil, timeout: 30, user: nil)
        let types = try release.release(buildDir: f.app, sandbox: sandbox, scratch: f.tmp, output: .null)
        #expect(types == ["web": "gunicorn app:app --bind 0.0.0.0:$PORT"])
    }
}
