import RikerCore
import Testing
@testable import RikerDeploy
import RikerRelease

@Suite struct DeployPlanTests {
    let six = ["i-1", "i-2", "i-3", "i-4", "i-5", "i-6"]

    @Test func countBatchesCoverEveryInstanceOnce() throws {
        let plan = try DeployPlan.make(instances: six, batch: BatchSize(parsing: "2")!, minHealthyPercent: 50)
        #expect(plan.batches == [["i-1", "i-2"], ["i-3", "i-4"], ["i-5", "i-6"]])
        #expect(plan.minServing == 3)
    }

    @Test func percentBatchesRoundDownButNeverToZero() throws {
        #expect(try DeployPlan.make(instances: six, batch: BatchSize(parsing: "25%")!, minHealthyPercent: 50).batchSize == 1)
        #expect(try DeployPlan.make(instances: Array(repeating: "i", count: 100), batch: BatchSize(parsing: "25%")!, minHealthyPercent: 75).batches.count == 4)
    }

    @Test func aBatchThatBreaksMinHealthyIsRefusedWithTheNumbers() {
        #expect {
            try DeployPlan.make(instances: six, batch: BatchSize(parsing: "4")!, minHealthyPercent: 50)
        } throws: { error in
            let m = (error as? RikerError)?.message ?? ""
            return m.contains("leaving 2 serving") && m.contains("min_healthy=50% (3)")
        }
    }

    @Test func singleInstanceNeedsMinHealthyZero() throws {
        #expect(throws: RikerError.self) { try DeployPlan.make(instances: ["i-1"], batch: BatchSize(parsing: "1")!, minHealthyPercent: 50) }
        #expect(try DeployPlan.make(instances: ["i-1"], batch: BatchSize(parsing: "1")!, minHealthyPercent: 0).batches == [["i-1"]])
    }

    @Test func instancesThatKeepServingWhileTheyInstallAreNotCountedOut() throws {
        // The local fleet (no target groups): its one agent swaps releases behind its own listener.
        #expect(try DeployPlan.make(instances: ["local-1"], batch: .count(1), minHealthyPercent: 100, takesOutOfService: false).batches == [["local-1"]])
    }
}
