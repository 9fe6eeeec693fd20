import Foundation
import RikerCore
import Testing
@testable import RikerRelease

@Suite struct FormationTests {
    let procfile = ["web": "gunicorn app:app", "worker": "celery worker", "clock": "python clock.py",
                    "release": "python manage.py migrate", "custom": "echo -n"]

    @Test func onlyWebRunsByDefaultAndReleaseAndOneOffTypesNever() {
        let f = Formation.defaults(processTypes: procfile)
        #expect(f.counts == ["web": 1, "worker": 0, "clock": 0, "custom": 0])
        #expect(f.processes(of: procfile).map { "\($0.type).\($0.index)" } == ["web.1"])
    }

    @Test func anAppWithoutWebRunsItsFirstProcfileType() {
        let types = ["worker": "a", "clock": "b", "release": "c"]
        #expect(Formation.defaults(processTypes: types, order: ["release", "worker", "clock"]).counts == ["worker": 1, "clock": 0])
        // Without a Procfile order (an old release), the first by name.
        #expect(Formation.defaults(processTypes: types).counts == ["clock": 1, "worker": 0])
    }

    @Test func copiesOfATypeAreNumberedFromOneAndWebRunsOnceAtMost() {
        let f = Formation(["web": 3, "worker": 2, "release": 1, "clock": 0])
        #expect(f.processes(of: procfile).map { "\($0.type).\($0.index)" } == ["web.1", "worker.1", "worker.2"])
    }

    @Test func appJsonSetsTheFirstFormationAndItsMistakesAreToldNotApplied() {
        let manifest = AppManifest(formation: ["worker": .init(quantity: 2), "web": .init(quantity: 3), "ghost": .init(quantity: 1),
                                               "release": .init(quantity: 1), "clock": .init(size: "standard-1x")])
        let (f, notes) = Formation.initial(processTypes: procfile, manifest: manifest)
        #expect(f.counts == ["web": 1, "worker": 2, "clock": 0, "custom": 0])
        #expect(notes.contains { $0.contains("formation.ghost ignored") })
        #expect(notes.contains { $0.contains("formation.web.quantity 3 lowered to 1") })
        #expect(notes.contains { $0.contains("formation.release ignored") })
    }

    @Test func aLaterBuildKeepsTheScaleAndNewTypesStartStopped() {
        let previous = Formation(["web": 1, "worker": 3])
        let next = Formation.carried(from: previous, processTypes: ["web": "a", "worker": "b", "mailer": "c"])
        #expect(next.counts == ["web": 1, "worker": 3, "mailer": 0])
        // A web added later starts at 1; types that are gone are dropped.
        #expect(Formation.carried(from: Formation(["worker": 2]), processTypes: ["web": "a", "worker": "b"]).counts == ["web": 1, "worker": 2])
        // Every type renamed: the defaults.
        #expect(Formation.carried(from: Formation(["worker": 2]), processTypes: ["jobs": "a"], order: ["jobs"]).counts == ["jobs": 1])
    }

    @Test func scalingChecksEveryChange() throws {
        let f = Formation.defaults(processTypes: procfile)
        #expect(try f.scaled(["worker": 2, "web": 0], processTypes: procfile).counts["worker"] == 2)
        #expect(throws: RikerError.self) { try f.scaled(["web": 2], processTypes: procfile) }
        #expect(throws: RikerError.self) { try f.scaled(["release": 1], processTypes: procfile) }
        do { _ = try f.scaled(["wroker": 1], processTypes: procfile) } catch let e as RikerError {
            #expect(e.message == "no process type 'wroker' in the Procfile (it has: web, clock, custom, worker)")
        }
    }

    @Test(arguments: ["worker", "worker=", "worker=-1", "worker=101", "=1", "bad type=1", "worker=two"])
    func badScaleArgumentsAreRefused(arg: String) { #expect(throws: RikerError.self) { try Formation.parseChanges([arg]) } }

    @Test func scaleArgumentsParse() throws {
        #expect(try Formation.parseChanges(["worker=2", "web=1", "clock=0"]) == ["worker": 2, "web": 1, "clock": 0])
    }

    @Test func aReleaseJsonFromBeforeFormationsDecodesWithTheDefaults() throws {
        let json = """
            {"version": 3, "app": "a", "env": "production", "commit": "c", "ref": "r", "builder": "b",
             "process_types": {"web": "x", "worker": "y"}, "artifact": "k", "sha256": "s", "size": 1, "config": {},
             "created_at": "2024-01-01T00:00:00Z", "created_by": "me", "description": "d"}
            """
        let release = try JSONCoding.decode(Release.self, from: Data(json.utf8), what: "release")
        #expect(release.formation == nil && release.manifest == nil)
        #expect(release.effectiveFormation.counts == ["web": 1, "worker": 0])
        // And a new one keeps its formation and manifest through the store's encoding.
        var next = release
        next.formation = Formation(["web": 1, "worker": 2])
        next.manifest = AppManifest(scripts: .init(postdeploy: "seed"))
        #expect(try JSONCoding.decode(Release.self, from: JSONCoding.encode(next), what: "release") == next)
    }
}

@Suite struct WebHealthCheckTests {
    func release(_ checks: [AppManifest.HealthCheck]?) -> Release {
        Release(version: 1, app: "a", env: "production", commit: "c", ref: "r", builder: "b", processTypes: ["web": "x"], artifact: "k",
                sha256: "s", size: 1, config: [:], createdBy: "me", description: "d",
                manifest: checks.map { AppManifest(healthchecks: ["web": $0]) })
    }

    @Test func withoutAppJsonTheSettingsDecide() throws {
        let settings = try DeploySettings(AppSettings(name: "a", settings: ["deploy.health_path": "/up", "deploy.timeout_seconds": "30"]), env: "production")
        let check = WebHealthCheck(release: release(nil), settings: settings)
        #expect(check.path == "/up" && check.attempts == nil && check.deadline == 30)
    }

    @Test func appJsonStartupCheckOverridesPathAndBudget() throws {
        let settings = try DeploySettings(AppSettings(name: "a"), env: "production")
        let check = WebHealthCheck(release: release([
            .init(type: .liveness, path: "/live"),
            .init(type: .startup, path: "/ready", content: "ok", attempts: 3, timeout: 2, wait: 1, initialDelay: 4),
        ]), settings: settings)
        #expect(check.path == "/ready" && check.attempts == 3 && check.attemptTimeout == 2 && check.wait == 1)
        #expect(check.content == "ok" && check.deadline == 4 + 3 * (2 + 1))
        // A path alone keeps polling, within deploy.timeout_seconds.
        let polled = WebHealthCheck(release: release([.init(path: "/health")]), settings: settings)
        #expect(polled.path == "/health" && polled.attempts == nil && polled.deadline == 60)
    }
}

@Suite struct FailureReportTests {
    @Test func travelsAsTextWithTheSummaryFirst() {
        let report = FailureReport(summary: "web.1 of v2 exited (exit code 1)", lines: ["web.1's last 2 lines:", "  a", "  b"])
        #expect(FailureReport(parsing: report.text) == report)
        #expect(FailureReport(parsing: "just one line").lines.isEmpty)
    }

    @Test func isBoundedInLinesLengthAndBytes() {
        let long = String(repeating: "x", count: 5000)
        let report = FailureReport(summary: long, lines: Array(repeating: long, count: 2000))
        #expect(report.summary.count == FailureReport.maxLineLength + 1)
        #expect(report.lines.allSatisfy { $0.count == FailureReport.maxLineLength + 1 })
        #expect(report.text.utf8.count <= FailureReport.maxBytes)
    }
}
