import Foundation
import RikerCore

/// What packing a slug may cost: how many bytes its files may add up to, and by when it must
/// be done. Sizes are apparent sizes (`st_size`): a sparse file counts in full, since it
/// unpacks to that much on an instance.
public struct SlugLimits: Sendable {
    /// The cap when nothing says otherwise: Heroku's 500 MB unpacked (in MiB), the default of
    /// `build.max_slug_mb`, and what the agent allows a release that records no unpacked size.
    public static let defaultMaxBytes: Int64 = 500 << 20

    /// No cap, no deadline (tools and tests).
    public static let none = SlugLimits(maxBytes: nil, limitName: "", raiseHint: "", deadline: nil, deadlineName: "")

    /// Most bytes the packed files may add up to; nil: no cap.
    public var maxBytes: Int64?
    /// How a refusal names the cap, e.g. `build.max_slug_mb=500`.
    public var limitName: String
    /// How to raise the cap, e.g. `apps:set web build.max_slug_mb=N`.
    public var raiseHint: String
    /// When packing must have finished (the build's own deadline); nil: no deadline.
    public var deadline: Date?
    /// How a refusal names the deadline, e.g. `the build time limit (build.timeout_seconds=900)`.
    public var deadlineName: String

    public init(maxBytes: Int64?, limitName: String, raiseHint: String, deadline: Date?, deadlineName: String) {
        self.maxBytes = maxBytes; self.limitName = limitName; self.raiseHint = raiseHint
        self.deadline = deadline; self.deadlineName = deadlineName
    }

    /// Throws `RikerError(.archive)` when `entries` add up to more than the cap, naming the
    /// biggest file (the likely culprit).
    func checkSize(of entries: [SlugSourceEntry]) throws {
        guard let maxBytes else { return }
        var total: Int64 = 0
        var biggest: (path: String, size: Int64)?
        for entry in entries {
            guard case .file(let size) = entry.kind else { continue }
            total += size
            if size > (biggest?.size ?? -1) { biggest = (entry.path, size) }
        }
        guard total > maxBytes else { return }
        let culprit = biggest.map { " (biggest: \($0.path), \(humanSize($0.size)))" } ?? ""
        throw RikerError(.archive, "slug is \(humanSize(total)) unpacked, over \(limitName)\(culprit): "
            + "add big files to .slugignore" + (raiseHint.isEmpty ? "" : ", or \(raiseHint)"))
    }

    /// Throws `RikerError(.timeout)` once the deadline has passed.
    func checkDeadline() throws {
        guard let deadline, deadline.timeIntervalSinceNow <= 0 else { return }
        throw RikerError(.timeout, "packing the slug ran past \(deadlineName): make the slug smaller (.slugignore) or raise the limit")
    }
}
