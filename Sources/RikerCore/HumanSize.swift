/// A byte count for people: `512B`, `1.5K`, `20.3M`, `1.2G` (powers of 1024).
public func humanSize(_ bytes: Int64) -> String {
    let units = ["B", "K", "M", "G", "T"]
    var v = Double(bytes), i = 0
    while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
    return i == 0 ? "\(bytes)B" : String(format: "%.1f%@", v, units[i])
}
