import Foundation
import RikerCore
import Testing
@testable import RikerBuild

/// Apps locked with pipenv, Poetry or uv: the lock file's own tool (fetched from PyPI into the
/// build cache) exports the non-dev requirements, pip installs them into .heroku/python, and
/// the app imports them at runtime. The lock files were made by the tools themselves; each
/// pins six 1.17.0 for the app and idna 3.10 for development only.
@Suite(.serialized) struct PythonLockFileTests {
    enum Tool: String, CaseIterable, CustomTestStringConvertible {
        case pipenv, poetry, uv
        var testDescription: String { rawValue }

        var lockFile: String { ["pipenv": "Pipfile.lock", "poetry": "poetry.lock", "uv": "uv.lock"][rawValue]! }

        var files: [String: String] {
            switch self {
            case .pipenv: return ["Pipfile": PythonLockFileTests.pipfile, "Pipfile.lock": PythonLockFileTests.pipfileLock]
            case .poetry: return ["pyproject.toml": PythonLockFileTests.poetryProject, "poetry.lock": PythonLockFileTests.poetryLock]
            case .uv: return ["pyproject.toml": PythonLockFileTests.uvProject, "uv.lock": PythonLockFileTests.uvLock,
                              "src/greeting/__init__.py": PythonLockFileTests.uvPackage]
            }
        }

        /// The file that declares the dependencies (edited to make the lock stale).
        var manifest: String { self == .pipenv ? "Pipfile" : "pyproject.toml" }

        /// What the build says when the lock no longer matches the manifest.
        var staleLockLine: String {
            switch self {
            case .pipenv: return " !     Pipfile.lock is out of date with Pipfile: run 'pipenv lock' and commit Pipfile.lock"
            case .poetry: return " !     Poetry could not export poetry.lock (see the error above)"
            case .uv: return " !     uv could not export uv.lock (see the error above; is uv.lock up to date with pyproject.toml?)"
            }
        }
    }

    @Test(arguments: Tool.allCases)
    func lockedAppInstallsItsMainDependenciesAndReusesThem(tool: Tool) throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(tool.files)
        let (first, lines) = f.build(timeout: 900)
        _ = try first.get()
        #expect(lines.contains { $0.hasPrefix("-----> Installing dependencies from \(tool.lockFile) with pip (exported by ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("       Successfully installed six-1.17.0") })
        #expect(try f.runApp("python -c 'import six; print(six.__version__)'").output == "1.17.0")
        // Development dependencies and the tools themselves stay out of the app.
        #expect(!f.exists(".heroku/python/lib/idna"))
        for name in ["pipenv", "poetry", "uv"] { #expect(!f.exists(".heroku/python/lib/\(name)"), "\(name)") }
        if tool == .uv {
            // uv.lock says the project is a package: it is installed too (not editable: the slug moves).
            #expect(try f.runApp("cd / && python -c 'import greeting; print(greeting.hello())'").output == "hello from greeting with six 1.17.0")
        }

        // The same lock again: the cached packages are used; neither the tool nor pip runs.
        try FileManager.default.removeItem(at: f.app.appendingPathComponent(".heroku"))
        let (second, again) = f.build(timeout: 900)
        _ = try second.get()
        #expect(again.contains("       \(tool.lockFile) unchanged; reusing cached packages"))
        #expect(!again.contains { $0.contains("Installing") || $0.contains("Collecting") })
        #expect(try f.runApp("python -c 'import six; print(six.__version__)'").output == "1.17.0")

        // A manifest changed without re-locking fails the build, as the tool itself would.
        let manifest = try #require(f.read(tool.manifest))
        try f.writeApp([tool.manifest: manifest.replacingOccurrences(of: "1.17.0", with: "1.16.0")])
        let (stale, staleLines) = f.build(timeout: 900)
        #expect(stale.rikerError?.message == "buildpack python failed (exit code 1)")
        #expect(staleLines.contains(tool.staleLockLine), "\(staleLines)")
    }

    static let pipfile = """
        [[source]]
        url = "https://pypi.org/simple"
        verify_ssl = true
        name = "pypi"

        [packages]
        six = "==1.17.0"

        [dev-packages]
        idna = "==3.10"

        """

    static let pipfileLock = """
        {
            "_meta": {
                "hash": {
                    "sha256": "90bfd6b1abbc8c9faccf1bcaba55f4ca998b12e223e98865f5eaad6b3bd6f788"
                },
                "pipfile-spec": 6,
                "requires": {},
                "sources": [
                    {
                        "name": "pypi",
                        "url": "https://pypi.org/simple",
                        "verify_ssl": true
                    }
                ]
            },
            "default": {
                "six": {
                    "hashes": [
                        "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
                        "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"
                    ],
                    "index": "pypi",
                    "markers": "python_version >= '2.7' and python_version != '3.0' and python_version != '3.1' and python_version != '3.2'",
                    "version": "==1.17.0"
                }
            },
            "develop": {
                "idna": {
                    "hashes": [
                        "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9",
                        "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"
                    ],
                    "index": "pypi",
                    "markers": "python_version >= '3.6'",
                    "version": "==3.10"
                }
            }
        }

        """

    static let poetryProject = """
        [project]
        name = "poetryapp"
        version = "0.1.0"
        requires-python = ">=3.9"
        dependencies = ["six==1.17.0"]

        [tool.poetry]
        package-mode = false

        [tool.poetry.group.dev.dependencies]
        idna = "3.10"

        """

    static let poetryLock = """
        # This file is automatically @generated by Poetry 2.5.1 and should not be changed by hand.

        [[package]]
        name = "idna"
        version = "3.10"
        description = "Internationalized Domain Names in Applications (IDNA)"
        optional = false
        python-versions = ">=3.6"
        groups = ["dev"]
        files = [
            {file = "idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"},
            {file = "idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9"},
        ]

        [[package]]
        name = "six"
        version = "1.17.0"
        description = "Python 2 and 3 compatibility utilities"
        optional = false
        python-versions = "!=3.0.*,!=3.1.*,!=3.2.*,>=2.7"
        groups = ["main"]
        files = [
            {file = "six-1.17.0-py2.py3-none-any.whl", hash = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"},
            {file = "six-1.17.0.tar.gz", hash = "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"},
        ]

        [metadata]
        lock-version = "2.1"
        python-versions = ">=3.9"
        content-hash = "a9ce83c8b98798107a3cf741f76ca6ae3786730ce03506b2484bf6a7726d700b"

        """

    static let uvProject = """
        [project]
        name = "greeting"
        version = "0.1.0"
        requires-python = ">=3.8"
        dependencies = ["six==1.17.0"]

        [dependency-groups]
        dev = ["idna==3.10"]

        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        """

    static let uvLock = """
        version = 1
        revision = 5
        requires-python = ">=3.8"

        [[package]]
        name = "greeting"
        version = "0.1.0"
        source = { editable = "." }
        dependencies = [
            { name = "six" },
        ]

        [package.dev-dependencies]
        dev = [
            { name = "idna" },
        ]

        [package.metadata]
        requires-dist = [{ name = "six", specifier = "==1.17.0" }]

        [package.metadata.requires-dev]
        dev = [{ name = "idna", specifier = "==3.10" }]

        [[package]]
        name = "idna"
        version = "3.10"
        source = { registry = "https://pypi.org/simple" }
        sdist = { url = "https://files.pythonhosted.org/packages/f1/70/7703c29685631f5a7590aa73f1f1d3fa9a380e654b86af429e0934a32f7d/idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9", size = 190490, upload-time = "2024-09-15T18:07:39.745Z" }
        wheels = [
            { url = "https://files.pythonhosted.org/packages/76/c6/c88e154df9c4e1a2a66ccf0005a88dfb2650c1dffb6f5ce603dfbd452ce3/idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3", size = 70442, upload-time = "2024-09-15T18:07:37.964Z" },
        ]

        [[package]]
        name = "six"
        version = "1.17.0"
        source = { registry = "https://pypi.org/simple" }
        sdist = { url = "https://files.pythonhosted.org/packages/94/e7/b2c673351809dca68a0e064b6af791aa332cf192da575fd474ed7d6f16a2/six-1.17.0.tar.gz", hash = "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81", size = 34031, upload-time = "2024-12-04T17:35:28.174Z" }
        wheels = [
            { url = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl", hash = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274", size = 11050, upload-time = "2024-12-04T17:35:26.475Z" },
        ]

        """

    static let uvPackage = """
        import six
        def hello():
            return "hello from greeting with six " + six.__version__

        """
}
