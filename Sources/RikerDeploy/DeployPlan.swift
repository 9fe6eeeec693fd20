import RikerCore
import RikerRelease

/// How a rolling deploy cuts a group into batches while keeping enough instances serving.
public struct DeployPlan: Equatable, Sendable {
    public var batches: [[String]]
    public var batchSize: Int
    /// Instances that must stay registered and healthy throughout.
    public var minServing: Int

    /// Plans batches of `instances` (in the given order). When a batch is taken out of service
    /// (deregistered from target groups), refuses, before anything changes, a batch size that
    /// would leave fewer than `minHealthyPercent` of the group serving. Instances that keep
    /// serving while they install (no target groups: the agent swaps releases behind its own
    /// listener) never leave service, so no batch size is too big for them.
    public static func make(instances: [String], batch: BatchSize, minHealthyPercent: Double, takesOutOfService: Bool = true) throws -> DeployPlan {
        let n = instances.count
        guard minHealthyPercent >= 0, minHealthyPercent <= 100 else {
            throw RikerError(.invalidInput, "deploy.min_healthy must be a percent between 0 and 100")
        }
        let size = min(batch.size(groupSize: max(n, 1)), max(n, 1))
        let minServing = takesOutOfService ? Int((Double(n) * minHealthyPercent / 100).rounded(.up)) : 0
        if n > 0 && n - size < minServing {
            throw RikerError(.invalidInput,
                "deploy.batch=\(batch) takes \(size) of \(n) instances out at once, leaving \(n - size) serving, below deploy.min_healthy=\(Int(minHealthyPercent))% (\(minServing)): lower deploy.batch or deploy.min_healthy")
        }
        let batches = stride(from: 0, to: n, by: size).map { Array(instances[$0..<min($0 + size, n)]) }
        return DeployPlan(batches: batches, batchSize: size, minServing: minServing)
    }
}
