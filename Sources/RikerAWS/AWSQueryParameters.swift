import Foundation

/// The parameters of one query-protocol action, in the flattened form AWS expects:
/// `Name=value`, lists as `Prefix.1=a&Prefix.2=b` (`AutoScalingGroupNames.member.1`,
/// `Filter.1.Value.1`, `Targets.member.1.Id`).
public struct AWSQueryParameters: Sendable {
    /// Name/value pairs in the order they were added (signing and sending sort nothing here).
    public private(set) var items: [(String, String)] = []

    public init(_ items: [(String, String)] = []) { self.items = items }

    /// Adds `name=value`; a nil value adds nothing.
    public mutating func set(_ name: String, _ value: String?) {
        if let value { items.append((name, value)) }
    }

    /// Adds `prefix.1=values[0]`, `prefix.2=values[1]`, … (nothing for an empty list).
    public mutating func list(_ prefix: String, _ values: [String]) {
        for (i, v) in values.enumerated() { items.append(("\(prefix).\(i + 1)", v)) }
    }

    /// The form body: `Action=…&Version=…&` then these parameters, each side URI-encoded.
    func body(action: String, version: String) -> String {
        AWSURI.query([("Action", action), ("Version", version)] + items)
    }
}
