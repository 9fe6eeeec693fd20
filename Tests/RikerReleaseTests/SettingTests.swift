import RikerCore
import Testing
@testable import RikerRelease

@Suite struct SettingTests {
    @Test(arguments: [("target", "asg"), ("deploy.batch", "25%"), ("deploy.batch", "3"), ("deploy.min_healthy", "75"),
                      ("deploy.health_path", "/up"), ("local.port", "5100"), ("deploy.drain_seconds", "0"), ("branch.staging", "staging"),
                      ("branch.wip", "none"), ("webhook.secret", "s3cr3t"), ("target", "")])
    func acceptsGoodValues(key: String, value: String) { #expect(Setting.problem(key: key, value: value) == nil) }

    @Test(arguments: [("target", "kubernetes"), ("deploy.batch", "0"), ("deploy.batch", "150%"), ("deploy.batch", "1.5"),
                      ("deploy.min_healthy", "101"), ("deploy.timeout_seconds", "soon"), ("local.port", "70000"), ("deploy.health_path", "up"),
                      ("branch.x", "Prod!"), ("deploy.timeout", "5"), ("branch.", "staging")])
    func refusesBadValuesAndUnknownKeys(key: String, value: String) { #expect(Setting.problem(key: key, value: value) != nil) }

    @Test func unknownKeysAreRefusedWithTheListOfKnownOnes() throws {
        let problem = try #require(Setting.problem(key: "deploy.timeout", value: "5"))
        #expect(problem.hasPrefix("unknown setting 'deploy.timeout'") && problem.contains("deploy.timeout_seconds") && problem.contains("branch.NAME"))
    }

    @Test(arguments: ["0", "-1", "abc", "0%", "150%", "1.5", ""])
    func badBatchSpecsDoNotParse(spec: String) { #expect(BatchSize(parsing: spec) == nil) }

    @Test func unsetSettingsTakeTheTablesDefaults() throws {
        let d = try DeploySettings(AppSettings(name: "web"), env: "production")
        #expect(d.target == .local && d.batch == .count(1) && d.minHealthyPercent == 50 && d.healthPath == "/" && d.timeout == 60)
        #expect(d.drainSeconds == nil && d.localPort == nil && d.targetGroups.isEmpty)
        #expect(try BuildSettings(AppSettings(name: "web"), env: "production").timeout == 900)
    }

    @Test func anEnvsOwnValueWinsOverTheAppsAndBothOverTheDefault() throws {
        let app = AppSettings(name: "web", settings: ["deploy.timeout_seconds": "30", "deploy.batch": "25%", "asg.target_groups": "a, b,"],
                              envSettings: ["staging": ["deploy.timeout_seconds": "5"]])
        #expect(try DeploySettings(app, env: "staging").timeout == 5)
        #expect(try DeploySettings(app, env: "production").timeout == 30)
        #expect(try DeploySettings(app, env: "production").batch == .percent(25))
        #expect(try DeploySettings(app, env: "production").targetGroups == ["a", "b"])
    }

    @Test func aBadStoredValueNamesTheSettingAndTheFix() {
        let app = AppSettings(name: "web", settings: ["deploy.min_healthy": "lots"])
        #expect {
            try DeploySettings(app, env: "production")
        } throws: { e in
            let m = (e as? RikerError)?.message ?? ""
            return m.contains("deploy.min_healthy must be a number") && m.contains("apps:set web deploy.min_healthy=")
        }
    }
}
