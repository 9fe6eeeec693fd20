import RikerCore

/// How a rolling deploy cuts a group into batches while keeping enough instances serving.
public struct DeployPlan: Equatable, Sendable {
    public var batches: [[String]]
    public var batchSize: Int
    /// Instances that must stay registered and healthy throughout.
    public var minServing: Int

    /// `deploy.batch`: a count (`2`) or a percent of the group (`25%`), at least 1.
    public static func batchSize(_ spec: String, groupSize: Int) throws -> Int {
        let s = spec.trimmingCharacters(in: .whitespaces)
        if s.hasSuffix("%") {
            guard let p = Double(s.dropLast()), p > 0, p <= 100 else {
                throw RikerError(.invalidInput, "deploy.batch '\(s)' is not a percent between 0 and 100")
            }
            return max(1, Int((Double(groupSize) * p / 100).rounded(.down)))
        }
        guard let n = Int(s), n > 0 else { throw RikerError(.invalidInput, "deploy.batch '\(s)' must be a count like 2 or a percent like 25%") }
        return n
    }

    /// Plans batches of `instances` (in the given order). Refuses, before anything changes, a batch
    /// size that would leave fewer than `minHealthyPercent` of the group serving.
    public static func make(instances: [String], batch: String, minHealthyPercent: Double) throws -> DeployPlan {
        let n = instances.count
        guard minHealthyPercent >= 0, minHealthyPercent <= 100 else {
            throw RikerError(.invalidInput, "deploy.min_healthy must be a percent between 0 and 100")
        }
        let size = min(try batchSize(batch, groupSize: max(n, 1)), max(n, 1))
        let minServing = Int((Double(n) * minHealthyPercent / 100).rounded(.up))
        if n > 0 && n - size < minServing {
            throw RikerError(.invalidInput,
                "deploy.batch=\(batch) takes \(size) of \(n) instances out at once, leaving \(n - size) serving, below deploy.min_healthy=\(Int(minHealthyPercent))% (\(minServing)): lower deploy.batch or deploy.min_healthy")
        }
        let batches = stride(from: 0, to: n, by: size).map { Array(instances[$0..<min($0 + size, n)]) }
        return DeployPlan(batches: batches, batchSize: size, minServing: minServing)
    }
}
