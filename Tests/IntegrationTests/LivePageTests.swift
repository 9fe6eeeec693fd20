import Foundation
import RikerCore
import RikerTestSupport
import Testing

/// The live page of a running `riker serve`, over real HTTP: login, cookies, tokens' app lists
/// and read-only flags, CSRF, escaping, security headers and server-sent events.
@Suite(.serialized) struct LivePageTests {
    static let hostileMessage = #"<script>alert("msg")</script> & <b>bold</b>"#

    /// A server with app `acts` pushed twice (v1, then v2 whose commit message is hostile
    /// HTML) and the tokens the tests use.
    struct Fixture {
        let server: RikerServer
        let api: APIClient
        let repo: AppRepo
        let admin: String, readOnly: String, other: String

        init() throws {
            let server = try RikerServer()
            self.server = server
            api = APIClient(server: server)
            do {
                repo = try AppRepo(files: ["Procfile": "web: exec python3 -m http.server $PORT\n", "version.txt": "one\n"], in: server.dir, name: "acts")
                let first = try server.push(repo.url, app: "acts")
                guard first.succeeded else { throw RikerError(.process, "push: \(first.output)") }
                try repo.write("version.txt", "two\n")
                try repo.commitAll(LivePageTests.hostileMessage)
                let second = try server.push(repo.url, app: "acts")
                guard second.succeeded else { throw RikerError(.process, "push: \(second.output)") }
                #expect(try server.riker(["apps:create", "other"]).succeeded)
                admin = try server.addToken("all")
                readOnly = try server.addToken("acts-ro", ["--app", "acts", "--read-only"])
                other = try server.addToken("other-ci", ["--app", "other"])
            } catch {
                server.stop()  // a fixture that cannot be made leaves no processes behind
                throw error
            }
        }

        func current() throws -> Int? {
            try api.get("/api/apps/acts/production/releases", token: admin).json["current"] as? Int
        }

        /// Waits until `acts` production's current release is `version`.
        func waitForCurrent(_ version: Int, timeout: Double = 120) throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if try current() == version { return true }
                usleep(200_000)
            }
            return false
        }
    }

    @Test func loginRefusesABadTokenAndItsCookieIsHttpOnlyStrictAndNotTheToken() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        let page = PageClient(server: f.server)

        // Not logged in: pages redirect to the login form; a POST is refused.
        let anonymous = try page.get("/apps/acts/production")
        #expect(anonymous.status == 303 && anonymous.header("Location") == "/login?next=/apps/acts/production", "\(anonymous.headers)")
        #expect(try page.get("/").header("Location") == "/login")
        #expect(try page.call("POST", "/apps/acts/production/rollback", form: [("version", "1")]).status == 401)
        let form = try page.get("/login")
        #expect(form.status == 200 && form.text.contains("name=\"token\""), "\(form)")

        // A bad token: 401, the form again with why, no cookie.
        let bad = try page.login(f.admin + "0")
        #expect(bad.status == 401 && bad.text.contains("not valid"), "\(bad)")
        #expect(bad.header("Set-Cookie") == nil)
        #expect(try page.get("/").status == 303)

        // A good one: a session cookie, HttpOnly and SameSite=Strict, not Secure over plain HTTP,
        // and nowhere the token itself (not in the cookie, not in the store).
        let good = try page.login(f.admin)
        #expect(good.status == 303 && good.header("Location") == "/", "\(good)")
        let cookie = try #require(good.header("Set-Cookie"))
        #expect(cookie.hasPrefix("riker_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "\(cookie)")
        #expect(!cookie.contains("Secure"))
        #expect(!cookie.contains(f.admin) && !cookie.contains(String(f.admin.dropFirst(6).prefix(16))))
        let sessions = f.server.root.appendingPathComponent("store/sessions")
        let files = try FileManager.default.contentsOfDirectory(atPath: sessions.path)
        #expect(files.count == 1)
        for name in files {
            let text = try String(contentsOf: sessions.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains(f.admin) && !text.contains(String(f.admin.dropFirst(6).prefix(16))))
        }
        let home = try page.get("/")
        #expect(home.status == 200 && home.text.contains("data-app=\"acts\"") && home.text.contains("data-app=\"other\""), "\(home)")
        #expect(home.text.contains("href=\"/apps/acts/production\""))
        // A login form reached with a next= path returns there, and never to another site.
        let other = PageClient(server: f.server, name: "next")
        let back = try other.call("POST", "/login", form: [("token", f.admin), ("next", "//evil.example/x")])
        #expect(back.header("Location") == "/", "\(back.headers)")

        // Log out: the session is gone from the store and the cookie no longer works.
        let csrf = try #require(PageClient.csrf(in: home.text))
        let out = try page.call("POST", "/logout", form: [("csrf", csrf)])
        #expect(out.status == 303 && out.header("Set-Cookie")?.contains("Max-Age=0") == true, "\(out.headers)")
        #expect(try page.get("/").status == 303)

        // HTTP Basic with the token as password works too, and only with a valid token.
        let basic = try page.call("GET", "/apps/acts/production", headers: ["Authorization: Basic " + Data("x:\(f.readOnly)".utf8).base64EncodedString()], cookies: false)
        #expect(basic.status == 200 && basic.text.contains("id=\"releases\""), "\(basic)")
        let wrong = try page.call("GET", "/", headers: ["Authorization: Basic " + Data("x:nope".utf8).base64EncodedString()], cookies: false)
        #expect(wrong.status == 303)

        // A removed token ends its sessions at once.
        let again = PageClient(server: f.server, name: "revoked")
        #expect(try again.login(f.other).status == 303)
        #expect(try again.get("/").status == 200)
        #expect(try f.server.riker(["tokens:remove", "other-ci"]).succeeded)
        #expect(try again.get("/").status == 303)
    }

    @Test func aReadOnlyTokenSeesNoButtonsAndItsPostsAreRefused() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        let page = PageClient(server: f.server)
        #expect(try page.login(f.readOnly).status == 303)
        let home = try page.get("/")
        #expect(home.text.contains("data-app=\"acts\"") && !home.text.contains("data-app=\"other\""), "the token covers acts only: \(home)")
        let env = try page.get("/apps/acts/production")
        #expect(env.status == 200 && env.text.contains("data-version=\"1\""), "\(env)")
        #expect(!env.text.contains("/rollback") && !env.text.contains("/promote") && !env.text.contains("<button type=\"submit\" class=\"rollback\""), "\(env.text)")
        let csrf = try #require(PageClient.csrf(in: env.text), "the Log out form carries the session's CSRF token")

        let rollback = try page.call("POST", "/apps/acts/production/rollback", form: [("csrf", csrf), ("version", "1")])
        #expect(rollback.status == 403 && rollback.text.contains("read-only"), "\(rollback)")
        let promote = try page.call("POST", "/apps/acts/production/promote", form: [("csrf", csrf), ("to", "staging")])
        #expect(promote.status == 403, "\(promote)")
        #expect(try page.get("/apps/other/production").status == 403)
        #expect(try f.current() == 2)
        #expect(!FileManager.default.fileExists(atPath: f.server.root.appendingPathComponent("store/actions").path))
    }

    @Test func postsWithoutTheSessionsCSRFTokenOrFromAnotherSiteAreRefusedAndChangeNothing() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        let page = PageClient(server: f.server)
        #expect(try page.login(f.admin).status == 303)
        let env = try page.get("/apps/acts/production")
        #expect(env.text.contains("class=\"rollback\" data-version=\"1\""), "\(env.text)")
        let csrf = try #require(PageClient.csrf(in: env.text))
        let path = "/apps/acts/production/rollback"

        let refused: [(String, [(String, String)], [String])] = [
            ("no CSRF token", [("version", "1")], []),
            ("a wrong CSRF token", [("csrf", String(repeating: "0", count: csrf.count)), ("version", "1")], []),
            ("another session's length", [("csrf", csrf + "00"), ("version", "1")], []),
            ("a foreign Origin", [("csrf", csrf), ("version", "1")], ["Origin: http://evil.example"]),
            ("a cross-site fetch", [("csrf", csrf), ("version", "1")], ["Sec-Fetch-Site: cross-site"]),
        ]
        for (what, form, headers) in refused {
            let r = try page.call("POST", path, form: form, headers: headers)
            #expect(r.status == 403, "\(what): \(r)")
        }
        #expect(try page.call("POST", "/apps/acts/production/promote", form: [("to", "staging")]).status == 403)
        #expect(try f.current() == 2)
        #expect(!FileManager.default.fileExists(atPath: f.server.root.appendingPathComponent("store/actions").path))

        // The real form (same origin, the session's token): the rollback runs and the page is
        // where it shows.
        let ok = try page.call("POST", path, form: [("csrf", csrf), ("version", "1")],
                               headers: ["Origin: \(f.server.httpBase)", "Sec-Fetch-Site: same-origin"])
        #expect(ok.status == 303 && ok.header("Location") == "/apps/acts/production", "\(ok)")
        #expect(try f.waitForCurrent(3))
        let releases = try f.api.get("/api/apps/acts/production/releases", token: f.admin).json["releases"] as? [[String: Any]] ?? []
        #expect(releases.first?["description"] as? String == "Rollback to v1" && releases.first?["created_by"] as? String == "token:all", "\(releases.first ?? [:])")

        // Promote, from the same page: the target env's page is where it shows.
        let promote = try page.call("POST", "/apps/acts/production/promote", form: [("csrf", csrf), ("to", "staging")])
        #expect(promote.status == 303 && promote.header("Location") == "/apps/acts/staging", "\(promote)")
        let deadline = Date().addingTimeInterval(120)
        var staging: Int?
        while staging == nil && Date() < deadline {
            staging = try f.api.get("/api/apps/acts/staging/releases", token: f.admin).json["current"] as? Int
            if staging == nil { usleep(200_000) }
        }
        #expect(staging == 1)
        let stagingPage = try page.get("/apps/acts/staging")
        #expect(stagingPage.status == 200 && stagingPage.text.contains("id=\"current\" data-version=\"1\""), "\(stagingPage.text)")
    }

    @Test func storeTextIsEscapedAndPagesCarryTheSecurityHeaders() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        #expect(try f.server.riker(["config:set", "acts", "SECRET_WORD=swordfish"]).succeeded)
        // A build whose log carries HTML: the app prints it and dies, so the failure report shows it.
        try f.repo.write("Procfile", "web: echo '<script>alert(\"log\")</script>'; exit 1\n")
        try f.repo.commitAll("prints html")
        let failed = try f.server.push(f.repo.url, app: "acts")
        #expect(!failed.succeeded)
        let page = PageClient(server: f.server)
        #expect(try page.login(f.admin).status == 303)

        let env = try page.get("/apps/acts/production")
        #expect(env.status == 200)
        #expect(env.text.contains("&lt;script&gt;alert(&quot;msg&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"), "\(env.text)")
        #expect(!env.text.contains("<script>alert") && !env.text.contains("<b>bold"))
        #expect(env.text.contains("SECRET_WORD") && !env.text.contains("swordfish"))
        let csp = try #require(env.header("Content-Security-Policy"))
        #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'nonce-") && csp.contains("frame-ancestors 'none'"), "\(csp)")
        let nonce = try #require(csp.split(separator: "'").first { $0.hasPrefix("nonce-") }.map { String($0.dropFirst(6)) })
        let scripts = env.text.components(separatedBy: "<script").count - 1
        #expect(scripts == 1 && env.text.contains("<script nonce=\"\(nonce)\">"), "only the page's own script, with the nonce")
        #expect(env.header("X-Frame-Options") == "DENY")

        let builds = try f.api.get("/api/apps/acts/builds", token: f.admin).json["builds"] as? [[String: Any]] ?? []
        let bad = try #require(builds.first { $0["status"] as? String == "failed" }?["id"] as? String, "\(builds)")
        let build = try page.get("/apps/acts/builds/\(bad)")
        #expect(build.status == 200, "\(build)")
        #expect(build.text.contains("&lt;script&gt;alert(&quot;log&quot;)&lt;/script&gt;"), "\(build.text)")
        #expect(!build.text.contains("<script>alert"))
        #expect(build.header("X-Frame-Options") == "DENY")
        #expect(try page.get("/apps/other/builds/\(bad)").status == 404)
        // Its event stream hands over the log as text (the page appends it as a text node),
        // then the outcome, and ends.
        let stream = try page.get("/apps/acts/builds/\(bad)/events")
        #expect(stream.header("Content-Type")?.hasPrefix("text/event-stream") == true, "\(stream.headers)")
        #expect(stream.text.contains("event: log\n") && stream.text.contains("<script>alert(\"log\")</script>"), "\(stream.text)")
        #expect(stream.text.contains("event: end\ndata: failed\n"), "\(stream.text.suffix(300))")
    }

    @Test func theEventStreamSendsTheLivePartAgainWhenADeployRecordChanges() throws {
        let f = try Fixture()
        defer { f.server.stop() }
        let page = PageClient(server: f.server)
        #expect(try page.login(f.admin).status == 303)
        let out = f.server.dir.path("events.out")
        let fd = open(out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var spec = ProcessSpec("/usr/bin/curl", ["-s", "-N", "-m", "300", "-b", page.jar.path, f.server.httpBase + "/apps/acts/production/events"])
        spec.stdout = .fd(fd)
        let curl = try ChildProcess.spawn(spec)
        close(fd)
        defer { _ = curl.terminate(grace: 1) }
        func seen() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String) -> Bool {
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline { if seen().contains(text) { return true }; usleep(100_000) }
            return false
        }
        // On connect, the live part as it is: v2 current.
        #expect(waitFor("event: live"))
        #expect(seen().contains("data-current=\"2\""), "\(seen())")

        // A rollback (from the command line: the store is what the page watches) makes a new
        // deploy record; the stream sends the part again with it, through to its outcome.
        #expect(try f.server.riker(["rollback", "acts"]).succeeded)
        #expect(waitFor("data-release=\"3\" data-outcome=\"succeeded\""), "\(seen().suffix(2000))")
        #expect(seen().contains("data-current=\"3\""))
        #expect(seen().components(separatedBy: "event: live").count - 1 >= 2)
        #expect(!seen().contains("<script>alert"))

        // A graceful stop of riker serve ends the open stream instead of waiting on it.
        f.server.stopProcesses()
        #expect(curl.wait(timeout: 60) != nil, "the stream ended")
        #expect(f.server.log(of: "serve.log").contains("stopped"), "riker serve stopped by itself, not killed after the grace period")
    }
}
