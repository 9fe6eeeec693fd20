import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// Apps as Heroku and Dokku users push them, over SSH: a formation (only `web` until scaled),
/// the release phase, app.json, and failures that show their cause.
@Suite(.serialized) struct FormationPushTests {
    @Test func onlyWebRunsUntilScaledAndTheReleaseCommandRunsBeforeEachRelease() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let mark = "echo $DYNO > ran-$DYNO.txt; exec sleep 600"
        let repo = try AppRepo(files: [
            "Procfile": """
            web: exec python3 -m http.server $PORT
            worker: \(mark)
            clock: \(mark)
            release: echo "release phase of $RIKER_RELEASE as $DYNO"
            custom: echo -n

            """,
            "version.txt": "one\n",
        ], in: server.dir, name: "kinds")

        let first = try server.push(repo.url, app: "kinds")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.components(separatedBy: "-----> Running release command: echo").count == 2, "\(first.output)")
        #expect(first.output.contains("       release phase of v1 as release.1"), "\(first.output)")
        #expect(first.output.contains("Runs per instance: web=1; not running: clock, custom, worker (ps:scale kinds TYPE=N starts them)"))
        let url = try #require(deployedURL(first.output))
        #expect(try httpGet(url + "/version.txt")?.body == "one\n")
        let ps = try server.ssh("ps kinds")
        #expect(ps.output.contains("web=1 clock=0 custom=0 worker=0  (per instance)"), "\(ps.output)")
        #expect(ps.output.contains("    web.1  up"), "\(ps.output)")
        #expect(!ps.output.contains("worker.1") && !ps.output.contains("clock.1") && !ps.output.contains("custom.1"))

        // ps:scale makes v2 from the same slug, without the release command; the worker starts.
        let scaled = try server.ssh("ps:scale kinds worker=1")
        #expect(scaled.succeeded, "\(scaled.output)")
        #expect(scaled.output.contains("Released v2") && !scaled.output.contains("Running release command"), "\(scaled.output)")
        #expect(try httpGet(url + "/ran-worker.1.txt")?.body == "worker.1\n")
        let after = try server.riker(["ps", "kinds"])
        #expect(after.output.contains("web=1 clock=0 custom=0 worker=1") && after.output.contains("    worker.1  up"), "\(after.output)")

        // Scales the release cannot take are refused in one line, and nothing is released.
        for bad in ["web=2", "nope=1", "release=1", "worker=lots"] {
            let r = try server.ssh("ps:scale kinds \(bad)")
            #expect(!r.succeeded && r.output.split(separator: "\n").count == 1, "\(bad): \(r.output)")
        }
        // config:set is a new release: the release command runs again; the scale stays.
        let set = try server.ssh("config:set kinds MODE=blue")
        #expect(set.succeeded && set.output.contains("release phase of v3 as release.1"), "\(set.output)")
        #expect(try server.riker(["ps", "kinds"]).output.contains("    worker.1  up"))

        // A release command that fails stops the deploy before anything switches.
        try repo.write("Procfile", """
            web: exec python3 -m http.server $PORT
            release: for i in $(seq 1 60); do echo "migration line $i"; done; exit 3

            """)
        try repo.write("version.txt", "two\n")
        try repo.commitAll("migration that fails")
        let bad = try server.push(repo.url, app: "kinds")
        #expect(!bad.succeeded)
        #expect(bad.output.contains("v4 was not deployed: the release command failed (exit code 3); v3 is still serving"), "\(bad.output)")
        let lines = remoteLines(bad.output)
        #expect(lines.contains("       Its last 40 lines:"))
        #expect(lines.contains("         migration line 21") && lines.contains("         migration line 60"))
        #expect(!lines.contains("         migration line 20"))
        #expect(!bad.output.contains("riker.one-off"), "the one-off's own log stays out of the push")
        #expect(!bad.output.contains("Deploying v4"), "no instance was touched")
        #expect(try httpGet(url + "/version.txt")?.body == "one\n")
        #expect(try server.riker(["apps:info", "kinds", "--json"]).output.contains("\"current\" : 3"))

        // One that runs too long is stopped, with the same outcome.
        #expect(try server.riker(["apps:set", "kinds", "deploy.release_timeout_seconds=1"]).succeeded)
        try repo.write("Procfile", "web: exec python3 -m http.server $PORT\nrelease: echo waiting for the database; exec sleep 60\n")
        try repo.commitAll("migration that hangs")
        let slow = try server.push(repo.url, app: "kinds")
        #expect(!slow.succeeded)
        #expect(slow.output.contains("       waiting for the database"), "\(slow.output)")
        #expect(slow.output.contains("v5 was not deployed: the release command did not finish within 1s (deploy.release_timeout_seconds) and was stopped; v3 is still serving"), "\(slow.output)")
        #expect(try httpGet(url + "/version.txt")?.body == "one\n")

        // A rollback is a new release too: its release command runs, and the scale stays.
        let back = try server.riker(["rollback", "kinds"])
        #expect(back.succeeded && back.output.contains("release phase of v6 as release.1"), "\(back.output)")
        #expect(try server.riker(["ps", "kinds"]).output.contains("    worker.1  up"))
    }

    @Test func aDjangoAppMigratesServesItsStaticFilesAndFollowsAppJson() throws {
        let server = try RikerServer()
        defer { server.stop() }
        let repo = try AppRepo(files: DjangoApp.files, in: server.dir, name: "django")

        let first = try server.push(repo.url, app: "dj")
        #expect(first.succeeded, "\(first.output)")
        #expect(first.output.contains("-----> Running release command: python manage.py migrate --noinput"), "\(first.output)")
        #expect(first.output.contains("No migrations to apply"), "\(first.output)")
        #expect(first.output.contains("       seeding the database of v1"), "\(first.output)")
        let url = try #require(deployedURL(first.output))
        // `/` answers 404: the deploy passed because app.json's health check asks for /ready/.
        #expect(try httpGet(url + "/")?.status == 404)
        #expect(try httpGet(url + "/ready/")?.body == "ready")
        let css = try #require(try httpGet(url + "/static/hello.css"))
        #expect(css.status == 200 && css.body.contains("rebeccapurple"), "collectstatic ran and whitenoise serves: \(css)")

        // postdeploy ran once: not on the next deploy.
        try repo.write("NOTES.md", "second\n")
        try repo.commitAll("second")
        let second = try server.push(repo.url, app: "dj")
        #expect(second.succeeded, "\(second.output)")
        #expect(second.output.contains("No migrations to apply"))
        #expect(!second.output.contains("Running postdeploy") && !second.output.contains("seeding the database"), "\(second.output)")
        #expect(try httpGet(url + "/static/hello.css")?.status == 200)

        // A Python that is not installed: one line that says what was asked and what is here.
        try repo.write(".python-version", "3.99\n")
        try repo.commitAll("ask for 3.99")
        let wrong = try server.push(repo.url, app: "dj")
        #expect(!wrong.succeeded)
        let said = wrong.output.split(separator: "\n").filter { $0.contains("asks for Python") }
        #expect(said.count == 1 && said[0].contains(" !     .python-version asks for Python 3.99, but this machine has Python 3."), "\(wrong.output)")
        #expect(try httpGet(url + "/ready/")?.body == "ready")
    }

    @Test func failedDeploysShowTheCauseAndACrashingWorkerDoesNotFailOne() throws {
        let server = try RikerServer()
        defer { server.stop() }

        // A web process that exits: its last 40 lines.
        let boot = try AppRepo(files: ["Procfile": "web: for i in $(seq 1 50); do echo \"boot line $i\"; done; exit 1\n"], in: server.dir, name: "boot")
        let crashed = try server.push(boot.url, app: "boot")
        #expect(!crashed.succeeded)
        #expect(crashed.output.contains("web.1 of v1 exited (exit code 1) during the health check"), "\(crashed.output)")
        let lines = remoteLines(crashed.output)
        #expect(lines.contains("         web.1's last 40 lines:"), "\(crashed.output)")
        #expect(lines.contains("           boot line 11") && lines.contains("           boot line 50"))
        #expect(!lines.contains("           boot line 10"))

        // A health check answered with HTTP 500: the status, the body's first lines, web's last lines.
        #expect(try server.riker(["apps:create", "sick"]).succeeded)
        #expect(try server.riker(["apps:set", "sick", "deploy.timeout_seconds=3"]).succeeded)
        let sick = try AppRepo(files: ["Procfile": "web: python3 app.py\n", "app.py": Self.failingWeb], in: server.dir, name: "sick")
        let failed = try server.push(sick.url, app: "sick")
        #expect(!failed.succeeded)
        #expect(failed.output.contains("did not pass its health check GET / within 3s: it answered HTTP 500"), "\(failed.output)")
        #expect(failed.output.contains("           DatabaseError: no such table: polls"), "\(failed.output)")
        #expect(failed.output.contains("           connecting to the database"), "\(failed.output)")

        // A worker (started by app.json's formation) that crashes after its settle time, while
        // web is still starting: the deploy succeeds, and ps shows the restart.
        let flaky = try AppRepo(files: [
            "Procfile": """
            web: while [ ! -f crashed ]; do sleep 0.2; done; exec python3 -m http.server $PORT
            worker: if [ -f crashed ]; then exec sleep 600; fi; sleep 4; touch crashed; exit 1

            """,
            "app.json": #"{"formation": {"worker": {"quantity": 1}}}"#,
        ], in: server.dir, name: "flaky")
        let ok = try server.push(flaky.url, app: "flaky")
        #expect(ok.succeeded, "\(ok.output)")
        #expect(ok.output.contains("Runs per instance: web=1 worker=1"), "\(ok.output)")
        var ps = ""
        for _ in 0..<100 {
            ps = try server.riker(["ps", "flaky"]).output
            if ps.contains("worker.1  up") && ps.contains("1 restart") { break }
            usleep(100_000)
        }
        #expect(ps.contains("worker.1  up") && ps.contains("1 restart") && ps.contains("last exit: exit code 1"), "\(ps)")
    }

    /// Answers every request with HTTP 500 and a traceback, after printing a line.
    static let failingWeb = """
    import http.server, os
    print("connecting to the database", flush=True)
    body = b"Traceback (most recent call last):\\nDatabaseError: no such table: polls\\n"
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
    """
}

/// The lines the server sent in a push's output, without git's `remote: ` prefix and padding.
func remoteLines(_ output: String) -> [String] {
    output.split(separator: "\n").map { line in
        var text = line.hasPrefix("remote: ") ? line.dropFirst(8) : line[...]
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}

/// A minimal Django project as `django-admin startproject` would make it, with whitenoise,
/// a static file, a release command, and an app.json with a health check and a postdeploy.
enum DjangoApp {
    static let files: [String: String] = [
        "requirements.txt": "Django>=4.2,<6\nwhitenoise>=6\ngunicorn>=21\n",
        "Procfile": """
            web: gunicorn mysite.wsgi --bind 127.0.0.1:$PORT --log-file -
            release: python manage.py migrate --noinput

            """,
        "app.json": """
            {
              "scripts": {"postdeploy": "echo seeding the database of $RIKER_RELEASE"},
              "healthchecks": {"web": [{"type": "startup", "path": "/ready/", "attempts": 60, "timeout": 5, "wait": 1}]}
            }
            """,
        "static/hello.css": "body { color: rebeccapurple; }\n",
        "manage.py": """
            #!/usr/bin/env python
            import os, sys
            if __name__ == "__main__":
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
                from django.core.management import execute_from_command_line
                execute_from_command_line(sys.argv)

            """,
        "mysite/__init__.py": "",
        "mysite/settings.py": """
            import os
            from pathlib import Path
            BASE_DIR = Path(__file__).resolve().parent.parent
            SECRET_KEY = os.environ.get("SECRET_KEY", "riker-test-only-not-secret")
            DEBUG = False
            ALLOWED_HOSTS = ["*"]
            INSTALLED_APPS = ["django.contrib.staticfiles"]
            MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "whitenoise.middleware.WhiteNoiseMiddleware"]
            ROOT_URLCONF = "mysite.urls"
            WSGI_APPLICATION = "mysite.wsgi.application"
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
            STATIC_URL = "static/"
            STATIC_ROOT = BASE_DIR / "staticfiles"
            STATICFILES_DIRS = [BASE_DIR / "static"]

            """,
        "mysite/urls.py": """
            from django.http import HttpResponse
            from django.urls import path
            urlpatterns = [path("ready/", lambda request: HttpResponse("ready"))]

            """,
        "mysite/wsgi.py": """
            import os
            from django.core.wsgi import get_wsgi_application
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
            application = get_wsgi_application()

            """,
    ]
}
