import Foundation
import RikerCore
import Testing

@Suite struct AppManifestTests {
    private func parse(_ json: String) throws -> AppManifest { try AppManifest(parsing: Data(json.utf8)) }

    /// The message of the error `json` fails with, or nil when it parses.
    private func failure(_ json: String) -> String? {
        do { _ = try parse(json); return nil } catch { return (error as? RikerError)?.message ?? "\(error)" }
    }

    @Test func herokuAndDokkuKeysAreRead() throws {
        let manifest = try parse("""
            {
              "name": "demo", "env": {"SECRET": {"generator": "secret"}}, "addons": ["heroku-postgresql"],
              "scripts": {
                "postdeploy": "python manage.py loaddata seed.json",
                "dokku": {"predeploy": "python manage.py migrate", "postdeploy": "curl -fsS https://example.com/hook"},
                "pr-predestroy": "echo bye"
              },
              "formation": {"web": {"quantity": 1, "size": "standard-1x"}, "worker": {"quantity": 2}, "clock": {}},
              "healthchecks": {
                "web": [
                  {"type": "startup", "name": "ready", "description": "is it up", "path": "/health/ready",
                   "attempts": 3, "timeout": 5, "wait": 2, "initialDelay": 1, "content": "ok", "port": 5000, "uptime": 3}
                ]
              }
            }
            """)
        #expect(manifest.scripts == AppManifest.Scripts(postdeploy: "python manage.py loaddata seed.json",
                                                         predeploy: "python manage.py migrate",
                                                         postdeployEveryDeploy: "curl -fsS https://example.com/hook"))
        #expect(manifest.formation == ["web": .init(quantity: 1, size: "standard-1x"), "worker": .init(quantity: 2), "clock": .init()])
        #expect(manifest.healthchecks == ["web": [
            .init(type: .startup, name: "ready", path: "/health/ready", content: "ok", attempts: 3, timeout: 5, wait: 2,
                  initialDelay: 1, port: 5000, uptime: 3),
        ]])
    }

    @Test func emptyObjectAndHerokuCommandObjectForm() throws {
        #expect(try parse("{}") == AppManifest())
        #expect(try parse(#"{"scripts": {"postdeploy": {"command": "bin/seed", "size": "basic"}}}"#).scripts.postdeploy == "bin/seed")
        // A check with no type is a startup check, as in Dokku.
        #expect(try parse(#"{"healthchecks": {"web": [{"path": "/"}]}}"#).healthchecks["web"]?.first?.type == .startup)
        // null is the same as leaving a key out.
        #expect(try parse(#"{"formation": null, "scripts": {"postdeploy": null}}"#) == AppManifest())
    }

    @Test func storedFormRoundTrips() throws {
        let manifest = AppManifest(scripts: .init(postdeploy: "seed"), formation: ["web": .init(quantity: 2)],
                                   healthchecks: ["web": [.init(path: "/up", attempts: 5)]])
        let data = try JSONCoding.encode(manifest)
        #expect(try JSONCoding.decode(AppManifest.self, from: data, what: "manifest") == manifest)
    }

    @Test func malformedManifestsFailWithOneLineNamingTheProblem() {
        let cases: [(String, String)] = [
            ("", "app.json is empty: write a JSON object ({}) or remove the file"),
            ("[1, 2]", "app.json must be a JSON object, not a list"),
            (#"{"formation": {"web": {"quantity": 1}} "scripts": {}}"#, "app.json is not valid JSON ("),
            ("{formation: {}}", "app.json is not valid JSON ("),
            (#"{"formation": {"web": {"quantity": -1}}}"#, "app.json: formation.web.quantity must be a whole number from 0 to 100, not -1"),
            (#"{"formation": {"web": {"quantity": 1.5}}}"#, "app.json: formation.web.quantity must be a whole number from 0 to 100, not 1.5"),
            (#"{"formation": {"web": {"quantity": "2"}}}"#, "app.json: formation.web.quantity must be a whole number from 0 to 100, not a string"),
            (#"{"formation": {"web": {"quantity": true}}}"#, "app.json: formation.web.quantity must be a whole number from 0 to 100, not true or false"),
            (#"{"formation": {"web": {"quantity": 1000}}}"#, "app.json: formation.web.quantity must be a whole number from 0 to 100, not 1000"),
            (#"{"formation": [{"process": "web", "quantity": 1}]}"#, "app.json: formation must be an object, not a list"),
            (#"{"formation": {"web worker": {"quantity": 1}}}"#, "app.json: formation names an invalid process type 'web worker' (use letters, digits, '-' or '_')"),
            (#"{"scripts": "echo hi"}"#, "app.json: scripts must be an object, not a string"),
            (#"{"scripts": {"postdeploy": ["echo", "hi"]}}"#, "app.json: scripts.postdeploy must be a command string, not a list"),
            (#"{"scripts": {"postdeploy": {"size": "basic"}}}"#, "app.json: scripts.postdeploy.command is missing"),
            (#"{"scripts": {"dokku": {"predeploy": 1}}}"#, "app.json: scripts.dokku.predeploy must be a string, not a number"),
            (#"{"healthchecks": {"web": {"path": "/"}}}"#, "app.json: healthchecks.web must be a list, not an object"),
            (#"{"healthchecks": {"web": ["/health"]}}"#, "app.json: healthchecks.web[0] must be an object, not a string"),
            (#"{"healthchecks": {"web": [{"path": "/"}, {"path": "health"}]}}"#,
             "app.json: healthchecks.web[1].path must be a URL path starting with / (without spaces), not 'health'"),
            (#"{"healthchecks": {"web": [{"path": "/", "attempts": 0}]}}"#, "app.json: healthchecks.web[0].attempts must be a whole number from 1 to 100, not 0"),
            (#"{"healthchecks": {"web": [{"path": "/", "timeout": "5s"}]}}"#, "app.json: healthchecks.web[0].timeout must be a whole number from 1 to 3600, not a string"),
            (#"{"healthchecks": {"web": [{"path": "/", "type": "sometimes"}]}}"#,
             "app.json: healthchecks.web[0].type must be startup, liveness or readiness, not 'sometimes'"),
            (#"{"healthchecks": {"web": [{"port": 70000}]}}"#, "app.json: healthchecks.web[0].port must be a whole number from 1 to 65535, not 70000"),
        ]
        for (json, expected) in cases {
            let message = failure(json)
            #expect(message?.hasPrefix(expected) == true, "\(json) -> \(message ?? "parsed")")
            #expect(message?.contains("\n") == false, "\(json) -> \(message ?? "parsed")")
        }
    }

    @Test func syntaxErrorsSayWhereParsingStopped() {
        let message = failure("{\"scripts\": {\"postdeploy\": \"x\",, }}") ?? ""
        #expect(message.hasPrefix("app.json is not valid JSON ("), "\(message)")
        #expect(message.hasSuffix("): fix its syntax"), "\(message)")
    }
}
