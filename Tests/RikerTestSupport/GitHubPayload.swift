import Foundation

/// GitHub's recorded webhook deliveries (`Tests/Fixtures/github-payloads`, see SOURCES.md),
/// rewritten to point at a test's own repository.
public enum GitHubPayload {
    public static var directory: URL { packageRoot().appendingPathComponent("Tests/Fixtures/github-payloads") }

    /// A recorded payload, byte for byte.
    public static func named(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

    /// A push payload rewritten to `cloneURL`: `ref`, `before`, `after`, the commit ids in
    /// `commits`/`head_commit`, and the repository URLs. Field set, order and quirks stay as
    /// GitHub sends them.
    public static func push(ref: String, after: String, before: String? = nil, cloneURL: String,
                            file: String = "push-with-new-branch.payload.json") throws -> Data {
        var text = String(decoding: try named(file), as: UTF8.self)
        let original = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
        text = text.replacingOccurrences(of: "\"ref\": \"refs/heads/master\"", with: "\"ref\": \"\(ref)\"")
        text = text.replacingOccurrences(of: "\"ref\": \"refs/tags/simple-tag\"", with: "\"ref\": \"\(ref)\"")
        if let before {
            text = text.replacingOccurrences(of: "\"before\": \"\(original)\"", with: "\"before\": \"\(before)\"")
            text = text.replacingOccurrences(of: "\"before\": \"0000000000000000000000000000000000000000\"", with: "\"before\": \"\(before)\"")
        }
        text = text.replacingOccurrences(of: original, with: after)
        for (field, url) in [("clone_url", "https://github.com/Codertocat/Hello-World.git"), ("git_url", "git://github.com/Codertocat/Hello-World.git"),
                             ("ssh_url", "git@github.com:Codertocat/Hello-World.git")] {
            text = text.replacingOccurrences(of: "\"\(field)\": \"\(url)\"", with: "\"\(field)\": \"\(cloneURL)\"")
        }
        return Data(text.utf8)
    }
}
