import Foundation
import RikerCore

/// How many processes of each type a release runs on every instance (Heroku's formation, counted
/// per instance). Stored in the release; `ps:scale` makes a new release with a new one.
///
/// Rules: `web` runs at most once per instance (it owns the instance's port: add instances to
/// serve more); `release` never runs as a long-lived process (it is the release phase); a type
/// missing from the counts runs 0 processes, so one-off types (`console: bash`) never start.
public struct Formation: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Process type → processes per instance.
    public var counts: [String: Int]

    public init(_ counts: [String: Int] = [:]) { self.counts = counts }

    public init(from decoder: Decoder) throws { counts = try decoder.singleValueContainer().decode([String: Int].self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(counts)
    }

    /// The process type Heroku runs once per release before it is deployed; never scaled.
    public static let releaseType = "release"
    /// Most processes of one type per instance.
    public static let maxCount = AppManifest.maxQuantity
    /// Most `web` processes per instance.
    public static let maxWeb = 1
    /// Seconds a process other than `web` must stay up after its start for a deploy to count it
    /// as started; one that exits later is restarted (with backoff) and never fails the deploy.
    public static let settleSeconds: Double = 3

    public func count(_ type: String) -> Int { counts[type] ?? 0 }

    /// `web=1 worker=2 clock=0`: web first, then the other types by name.
    public var description: String {
        Self.ordered(Array(counts.keys)).map { "\($0)=\(counts[$0]!)" }.joined(separator: " ")
    }

    /// `web` first, then the rest by name: the order processes start in and are listed.
    public static func ordered(_ types: [String]) -> [String] {
        types.sorted { ($0 == "web" ? 0 : 1, $0) < ($1 == "web" ? 0 : 1, $1) }
    }

    /// Every type of `processTypes` but `release`, with its count (0 when this formation has none).
    public func covering(_ processTypes: [String: String]) -> Formation {
        Formation(Dictionary(uniqueKeysWithValues: processTypes.keys.filter { $0 != Self.releaseType }.map { ($0, count($0)) }))
    }

    /// The processes to start for `processTypes`: every type with a count above 0 (`web` at most
    /// once, `release` never), numbered from 1, in `ordered` order.
    public func processes(of processTypes: [String: String]) -> [(type: String, index: Int)] {
        Self.ordered(Array(processTypes.keys)).filter { $0 != Self.releaseType }.flatMap { type -> [(type: String, index: Int)] in
            let n = min(count(type), type == "web" ? Self.maxWeb : Self.maxCount)
            return n > 0 ? (1...n).map { (type, $0) } : []
        }
    }

    /// Heroku's default: one `web`, every other type 0; an app without `web` runs one of its first
    /// type (`order` is the Procfile's order; types it does not list follow by name).
    public static func defaults(processTypes: [String: String], order: [String] = []) -> Formation {
        let types = processTypes.keys.filter { $0 != releaseType }
        var counts = Dictionary(uniqueKeysWithValues: types.map { ($0, 0) })
        if processTypes["web"] != nil {
            counts["web"] = 1
        } else if let first = (order.filter { counts[$0] != nil } + types.sorted()).first {
            counts[first] = 1
        }
        return Formation(counts)
    }

    /// The formation of an app env's first release: the defaults, then app.json's `formation`
    /// quantities for the types the release has. Returns lines worth telling the pusher
    /// (quantities that were ignored or lowered).
    public static func initial(processTypes: [String: String], order: [String] = [], manifest: AppManifest?) -> (Formation, notes: [String]) {
        var formation = defaults(processTypes: processTypes, order: order)
        var notes: [String] = []
        for (type, entry) in (manifest?.formation ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let quantity = entry.quantity else { continue }
            if type == releaseType {
                notes.append("app.json formation.release ignored: release runs once per release, before the deploy")
            } else if processTypes[type] == nil {
                notes.append("app.json formation.\(type) ignored: the app has no \(type) process type")
            } else if type == "web" && quantity > maxWeb {
                notes.append("app.json formation.web.quantity \(quantity) lowered to \(maxWeb): web runs once per instance")
                formation.counts[type] = maxWeb
            } else {
                formation.counts[type] = quantity
            }
        }
        return (formation, notes)
    }

    /// The formation of a later release: `previous` counts for the types that remain; a new
    /// type starts at 0 (a new `web` at 1). When none of the release's types was in `previous`
    /// (all renamed), the defaults apply.
    public static func carried(from previous: Formation, processTypes: [String: String], order: [String] = []) -> Formation {
        let types = processTypes.keys.filter { $0 != releaseType }
        guard types.contains(where: { previous.counts[$0] != nil }) else { return defaults(processTypes: processTypes, order: order) }
        return Formation(Dictionary(uniqueKeysWithValues: types.map { ($0, previous.counts[$0] ?? ($0 == "web" ? 1 : 0)) }))
    }

    /// This formation with `changes` applied. Throws `.invalidInput` naming the first change
    /// that names no process type of the release, scales `release`, or asks for too many.
    public func scaled(_ changes: [String: Int], processTypes: [String: String]) throws -> Formation {
        var next = self
        for (type, n) in changes.sorted(by: { $0.key < $1.key }) {
            if type == Self.releaseType {
                throw RikerError(.invalidInput, "release is not scaled: it runs once per new release, before the deploy")
            }
            guard processTypes[type] != nil else {
                let have = Self.ordered(processTypes.keys.filter { $0 != Self.releaseType }).joined(separator: ", ")
                throw RikerError(.invalidInput, "no process type '\(type.prefix(40))' in the Procfile (it has: \(have.isEmpty ? "none" : have))")
            }
            if type == "web" && n > Self.maxWeb {
                throw RikerError(.invalidInput, "web=\(n): web runs at most \(Self.maxWeb) per instance (it owns the instance's port); add instances to serve more")
            }
            next.counts[type] = n
        }
        return next
    }

    /// Parses `TYPE=N` arguments (`worker=2 web=1`). Throws `.invalidInput` for anything else.
    public static func parseChanges(_ arguments: [String]) throws -> [String: Int] {
        var changes: [String: Int] = [:]
        for arg in arguments {
            let parts = arg.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, Procfile.isValidType(parts[0]) else {
                throw RikerError(.invalidInput, "expected TYPE=COUNT like worker=2, got '\(arg.prefix(40))'")
            }
            guard let n = Int(parts[1]), (0...maxCount).contains(n) else {
                throw RikerError(.invalidInput, "\(parts[0])=\(parts[1].prefix(20)): the count must be a whole number from 0 to \(maxCount)")
            }
            changes[parts[0]] = n
        }
        guard !changes.isEmpty else { throw RikerError(.invalidInput, "nothing to scale: give TYPE=COUNT pairs like worker=2") }
        return changes
    }
}

extension Release {
    /// The formation this release runs: its own, or (for a release made before formations
    /// existed) the defaults.
    public var effectiveFormation: Formation { formation ?? .defaults(processTypes: processTypes) }
}
