import Foundation
import RikerCore
import Testing
@testable import RikerBuild

/// The app's bin/pre_compile and bin/post_compile, and Django's collectstatic, against real pip
/// and PyPI (Django and whitenoise are installed once and reused from the cache).
@Suite(.serialized) struct PythonHooksTests {
    @Test func preAndPostCompileHooksRunWithTheBuildEnvironment() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp([
            "requirements.txt": "",
            // Not executable in the push: the buildpack makes it so, as Heroku's does.
            "bin/pre_compile": "#!/bin/sh\necho \"pre_compile in $(pwd), packages installed: $(ls .heroku/python/lib | wc -l)\"\n",
            "bin/post_compile": """
                #!/usr/bin/env bash
                set -e
                echo "-----> post_compile"
                [ "$BUILD_DIR" = "$PWD" ] && [ -d "$CACHE_DIR" ] && [ -f "$ENV_DIR/GREETING" ]
                python -c 'import os, sys; print(os.environ["GREETING"], "from", sys.executable.split("/")[-1])' > built-by-hook
                """,
        ])
        let (result, lines) = f.build(config: ["GREETING": "hello-from-config"], timeout: 300)
        _ = try result.get()
        #expect(lines.contains("-----> Running bin/pre_compile"))
        #expect(lines.contains("pre_compile in \(f.app.path), packages installed: 0"))
        let post = try #require(lines.firstIndex(of: "-----> Running bin/post_compile"))
        #expect(post > (lines.firstIndex(of: "       Python packages are in .heroku/python") ?? .max))
        #expect(lines[post + 1] == "-----> post_compile")
        // The hook saw the config var and the app's python (the .heroku/python/bin wrapper's target).
        #expect(f.read("built-by-hook")?.hasPrefix("hello-from-config from python3") == true, "\(f.read("built-by-hook") ?? "nil")")
        #expect(!lines.contains { $0.contains("hello-from-config") })

        try f.writeApp(["bin/post_compile": "#!/bin/sh\necho 'migrations are broken'\nexit 4\n"])
        let (failed, failedLines) = f.build(timeout: 300)
        #expect(failed.rikerError?.message == "buildpack python failed (exit code 1)")
        #expect(failedLines.contains("migrations are broken"))
        #expect(failedLines.contains(" !     bin/post_compile failed (exit code 4)"))
    }

    static let djangoApp = [
        "requirements.txt": "Django>=4.2,<5\nwhitenoise>=6.5\n",
        "manage.py": """
            #!/usr/bin/env python
            import os
            import sys

            if __name__ == "__main__":
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
                from django.core.management import execute_from_command_line
                execute_from_command_line(sys.argv)
            """,
        "mysite/__init__.py": "",
        "mysite/urls.py": "urlpatterns = []\n",
        "mysite/settings.py": """
            import os
            from pathlib import Path

            BASE_DIR = Path(__file__).resolve().parent.parent
            SECRET_KEY = os.environ["SECRET_KEY"]
            DEBUG = False
            ALLOWED_HOSTS = ["*"]
            INSTALLED_APPS = ["django.contrib.staticfiles"]
            MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
            ROOT_URLCONF = "mysite.urls"
            STATIC_URL = "/static/"
            STATIC_ROOT = BASE_DIR / "staticfiles"
            STATICFILES_DIRS = [BASE_DIR / "static"]
            STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
            """,
        "static/site.css": "body { color: rebeccapurple; }\n",
    ]

    @Test func djangoStaticFilesAreCollectedUnlessDisabledAndAFailureFailsTheBuild() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(Self.djangoApp)

        // Config vars reach collectstatic (settings.py needs SECRET_KEY), never the output.
        let (first, lines) = f.build(config: ["SECRET_KEY": "not-for-output-4f1c"], timeout: 600)
        _ = try first.get()
        #expect(lines.contains("-----> $ python manage.py collectstatic --noinput"))
        #expect(lines.contains { $0.hasPrefix("       1 static file copied to '\(f.app.path)/staticfiles'") })
        #expect(f.read("staticfiles/site.css") == "body { color: rebeccapurple; }\n")
        #expect(f.read("staticfiles/staticfiles.json")?.contains("\"site.css\"") == true)
        #expect(!lines.contains { $0.contains("not-for-output-4f1c") })
        // Django and whitenoise are importable by the app at runtime.
        #expect(try f.runApp("python -c 'import django, whitenoise; print(django.VERSION[0])'").output == "4")

        // DISABLE_COLLECTSTATIC skips it (and the unchanged requirements come from the cache).
        try FileManager.default.removeItem(at: f.app.appendingPathComponent("staticfiles"))
        let (second, skipped) = f.build(config: ["SECRET_KEY": "x", "DISABLE_COLLECTSTATIC": "1"], timeout: 600)
        _ = try second.get()
        #expect(skipped.contains("       requirements.txt unchanged; reusing cached packages"))
        #expect(skipped.contains("-----> Skipping Django collectstatic: DISABLE_COLLECTSTATIC is set"))
        #expect(!f.exists("staticfiles"))

        // A collectstatic that fails fails the build, with Django's own output above one line saying what to do.
        let (third, failed) = f.build(timeout: 600)
        #expect(third.rikerError?.message == "buildpack python failed (exit code 1)")
        #expect(failed.contains("       KeyError: 'SECRET_KEY'"))
        #expect(failed.last { $0.hasPrefix(" !") }
                == " !     python manage.py collectstatic --noinput failed (its output is above): fix it, or set DISABLE_COLLECTSTATIC=1 to skip it")
    }
}
