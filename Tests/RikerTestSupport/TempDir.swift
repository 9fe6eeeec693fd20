import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
public struct TempDir {
    public let url: URL
    public init(_ label: String = "riker-test") throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func remove() { try? FileManager.default.removeItem(at: url) }
    public func path(_ rel: String) -> URL { url.appendingPathComponent(rel) }
}
