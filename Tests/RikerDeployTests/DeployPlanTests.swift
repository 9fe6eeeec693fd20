import RikerCore
import Testing
@testable import RikerDeploy
import RikerRelease

@Suite struct DeployPlanTests {
    let six = ["i-1", "i-2", "i-3", "i-4", "i-5", "i-6"]

    @Test func countBatchesCoverEveryInstanceOnce() throws {
        let plan = try DeployPlan.make(instances: six, batch: "2", minHealthyPercent: 50)
        #expect(plan.batches == [["i-1", "i-2"], ["i-3", "i-4"], ["i-5", "i-6"]])
        #expect(plan.minServing == 3)
    }

    @Test func percentBatchesRoundDownButNeverToZero() throws {
        #expect(try DeployPlan.make(instances: six, batch: "25%", minHealthyPercent: 50).batchSize == 1)
        #expect(try DeployPlan.make(instances: Array(repeating: "i", count: 100), batch: "25%", minHealthyPercent: 75).batches.count == 4)
    }

    @Test func aBatchThatBreaksMinHealthyIsRefusedWithTheNumbers() {
        #expect {
            try DeployPlan.make(instances: six, batch: "4", minHealthyPercent: 50)
        } throws: { error in
            let m = (error as? RikerError)?.message ?? ""
            return m.contains("leaving 2 serving") && m.contains("min_healthy=50% (3)")
        }
    }

    @Test func singleInstanceNeedsMinHealthyZero() throws {
        #expect(throws: RikerError.self) { try DeployPlan.make(instances: ["i-1"], batch: "1", minHealthyPercent: 50) }
        #expect(try DeployPlan.make(instances: ["i-1"], batch: "1", minHealthyPercent: 0).batches == [["i-1"]])
    }

    @Test(arguments: ["0", "-1", "abc", "0%", "150%"])
    func badBatchSpecsAreRefused(spec: String) {
        #expect(throws: RikerError.self) { try DeployPlan.make(instances: six, batch: spec, minHealthyPercent: 0) }
    }
}

@Suite struct AppSettingValueTests {
    @Test(arguments: [("target", "asg"), ("deploy.batch", "25%"), ("deploy.batch", "3"), ("deploy.min_healthy", "75"),
                      ("deploy.health_path", "/up"), ("local.port", "5100"), ("deploy.drain_seconds", "0")])
    func acceptsGoodValues(key: String, value: String) { #expect(AppSettings.problem(key: key, value: value) == nil) }

    @Test(arguments: [("target", "kubernetes"), ("deploy.batch", "0"), ("deploy.batch", "150%"), ("deploy.batch", "1.5"),
                      ("deploy.min_healthy", "101"), ("deploy.timeout_seconds", "soon"), ("local.port", "70000"), ("deploy.health_path", "up")])
    func refusesBadValues(key: String, value: String) { #expect(AppSettings.problem(key: key, value: value) != nil) }
}
