import Foundation
import Hummingbird
import NIOCore

/// The fields of a posted form (`application/x-www-form-urlencoded`, at most 16 KiB).
struct PageForm {
    var fields: [String: String]

    subscript(_ name: String) -> String? { fields[name] }

    static func read(_ request: Request) async throws -> PageForm {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 16 * 1024) } catch {
            throw APIError(.contentTooLarge, "the form is over 16 KiB", closeConnection: true)
        }
        return PageForm(parsing: String(buffer: buffer))
    }

    init(parsing text: String) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(kv[0]) else { continue }
            fields[name] = kv.count > 1 ? Self.decode(kv[1]) ?? "" : ""
        }
        self.fields = fields
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
