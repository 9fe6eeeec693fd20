import Foundation
import RikerCore
import Testing
@testable import RikerBuild

/// runtime.txt, .python-version and Pipfile.lock choose the interpreter, and say so in one line
/// when this machine does not have it. These apps have no dependencies, so pip needs no network.
@Suite struct PythonVersionTests {
    let python = BuildFixture.buildPython
    let minor = BuildFixture.buildPythonMinor

    @Test func runtimeTxtAndPythonVersionAreHonouredWhenTheMachineHasTheVersion() throws {
        try #require(!python.isEmpty, "the build PATH has no python3")
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "", "runtime.txt": "python-\(minor)\n",
                        "app.py": "import sys\nprint('%d.%d.%d' % sys.version_info[:3])\n"])
        let (first, lines) = f.build(timeout: 300)
        _ = try first.get()
        let using = try #require(lines.first { $0.hasPrefix("-----> Using Python ") })
        #expect(using.hasPrefix("-----> Using Python \(python) (/"))
        #expect(using.hasSuffix(", as runtime.txt asks"))
        #expect(try f.runApp("python app.py").output == python)
        // The cache stamp names the interpreter, so a different one would not reuse these packages.
        let stamp = try String(contentsOf: f.cache.appendingPathComponent("python/stamp"), encoding: .utf8)
        #expect(stamp.contains(" python-\(python) /"), "\(stamp)")

        // .python-version (read when there is no runtime.txt) with a patch release that is not here:
        // the installed X.Y is used, and the build says so.
        try FileManager.default.removeItem(at: f.app.appendingPathComponent("runtime.txt"))
        try f.writeApp([".python-version": "# pyenv\n\(minor).99\n"])
        let (second, again) = f.build(timeout: 300)
        _ = try second.get()
        #expect(again.contains { $0.hasPrefix("-----> Using Python \(python) (") && $0.hasSuffix(", as .python-version asks") })
        #expect(again.contains("       .python-version asks for \(minor).99; \(python) is the Python \(minor) installed here"))
    }

    @Test func versionThatIsNotInstalledFailsWithOneLineAndPipNeverRuns() throws {
        try #require(!python.isEmpty, "the build PATH has no python3")
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "six==1.16.0\n", ".python-version": "3.99\n"])
        let (result, lines) = f.build(timeout: 300)
        #expect(result.rikerError?.message == "buildpack python failed (exit code 1)")
        let errors = lines.filter { $0.hasPrefix(" !") }
        #expect(errors.count == 1, "\(lines)")
        let error = try #require(errors.first)
        #expect(error.hasPrefix(" !     .python-version asks for Python 3.99, but this machine has "), "\(error)")
        #expect(error.contains("Python \(python) (python\(minor))"), "\(error)")
        #expect(error.hasSuffix(": install python3.99 or change .python-version"), "\(error)")
        // Nothing after the detection line but that one line: no pip, no install.
        let detected = try #require(lines.firstIndex(of: "-----> Python app detected"))
        #expect(lines[(detected + 1)...].filter { !$0.isEmpty } == [error])
        #expect(!f.exists(".heroku/python/lib/six.py"))
    }

    /// Only Debian's python3 is installed here, so a stand-in `python3.99` (which says it is 3.99.1
    /// and runs python3) is put first on the compile's PATH.
    @Test func matchingPython3XIsUsedWhenPython3IsAnotherVersion() throws {
        try #require(!python.isEmpty, "the build PATH has no python3")
        let f = try BuildFixture(); defer { f.remove() }
        let bin = f.temp.path("fakebin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("python3.99")
        try Data("""
            #!/bin/sh
            case "$*" in --version) echo "Python 3.99.1"; exit 0 ;; *sys.version_info*) echo 3.99.1; exit 0 ;; esac
            exec python3 "$@"

            """.utf8).write(to: fake)
        chmod(fake.path, 0o755)
        try f.writeApp(["requirements.txt": "", ".python-version": "3.99\n"])
        let env = f.temp.path("env"), home = f.temp.path("home")
        for dir in [env, home, f.cache] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        // A copy, as the build makes: compile writes the buildpack's `export` file.
        let pack = f.temp.path("python-buildpack")
        try copyTree(BuildFixture.builtinBuildpacks.appendingPathComponent("python"), to: pack)
        let compile = pack.appendingPathComponent("bin/compile")
        let sandbox = BuildSandbox(home: home, sourceVersion: nil, timeout: 300, user: nil)
        var lines: [String] = []
        let status = try sandbox.run([compile.path, f.app.path, f.cache.path, env.path], in: f.app,
                                     extraEnv: ["PATH": "\(bin.path):\(BuildSandbox.path)"]) { lines.append($0) }
        #expect(status.succeeded, "\(lines)")
        #expect(lines.first == "-----> Using Python 3.99.1 (\(fake.path)), as .python-version asks")
        // The app's python is that interpreter, and the cache stamp names it.
        #expect(f.read(".heroku/python/bin/python") == "#!/bin/sh\nexec \(fake.path) \"$@\"\n")
        #expect(try String(contentsOf: f.cache.appendingPathComponent("python/stamp"), encoding: .utf8).contains(" python-3.99.1 \(fake.path) "))

        // Asking for another version lists every Python on the PATH.
        try f.writeApp([".python-version": "3.98\n"])
        lines = []
        _ = try sandbox.run([compile.path, f.app.path, f.cache.path, env.path], in: f.app,
                            extraEnv: ["PATH": "\(bin.path):\(BuildSandbox.path)"]) { lines.append($0) }
        #expect(lines.count == 1, "\(lines)")
        let line = try #require(lines.first)
        #expect(line.hasPrefix(" !     .python-version asks for Python 3.98, but this machine has "), "\(line)")
        #expect(line.contains("Python \(python) (python\(minor))") && line.contains("Python 3.99.1 (python3.99)"), "\(line)")
        #expect(line.hasSuffix(": install python3.98 or change .python-version"), "\(line)")
    }

    @Test func malformedVersionFilesFailWithOneLine() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["requirements.txt": "", "runtime.txt": "python-latest\n"])
        let (_, lines) = f.build(timeout: 300)
        #expect(lines.contains(" !     runtime.txt must name a Python version like python-3.12 or python-3.12.1, not 'python-latest'"))

        try FileManager.default.removeItem(at: f.app.appendingPathComponent("runtime.txt"))
        try f.writeApp([".python-version": "system\n"])
        let (_, again) = f.build(timeout: 300)
        #expect(again.contains(" !     .python-version must name a Python version like 3.12 or 3.12.1, not 'system'"))
    }

    @Test func pipfileLockPythonVersionIsReadAndRequirementsTxtStillComesFirst() throws {
        try #require(!python.isEmpty, "the build PATH has no python3")
        let f = try BuildFixture(); defer { f.remove() }
        let lock = #"{"_meta": {"requires": {"python_version": "3.99"}}, "default": {}, "develop": {}}"#
        try f.writeApp(["requirements.txt": "", "Pipfile": "[packages]\n", "Pipfile.lock": lock])
        let (_, lines) = f.build(timeout: 300)
        #expect(lines.contains { $0.hasPrefix(" !     Pipfile.lock asks for Python 3.99, but this machine has ") })

        try f.writeApp(["Pipfile.lock": #"{"_meta": {"requires": {}}, "default": {}, "develop": {}}"#])
        let (result, again) = f.build(timeout: 300)
        _ = try result.get()
        #expect(again.contains("       Installing from requirements.txt; ignoring Pipfile.lock"))
        #expect(again.contains("-----> Installing requirements with pip"))
        #expect(!again.contains { $0.contains("pipenv") })
    }
}
