import Foundation

/// `~/.aws/credentials` and `~/.aws/config`: INI files of named profiles.
///
/// In `credentials` a section is `[NAME]`; in `config` it is `[profile NAME]` (or `[default]`).
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` move them.
public struct AWSSharedConfig: Sendable {
    /// Settings of the chosen profile: credentials file values win over config file values.
    public var values: [String: String]
    public let profile: String

    /// Reads the profile `AWS_PROFILE` (else `default`) from both files; missing files are empty.
    public init(environment env: [String: String]) {
        profile = env["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let home = env["HOME"] ?? NSHomeDirectory()
        let credPath = env["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let confPath = env["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let config = Self.parse((try? String(contentsOfFile: confPath, encoding: .utf8)) ?? "")
        let creds = Self.parse((try? String(contentsOfFile: credPath, encoding: .utf8)) ?? "")
        var v = config[profile == "default" ? "default" : "profile \(profile)"] ?? config[profile] ?? [:]
        for (k, x) in creds[profile] ?? [:] { v[k] = x }
        values = v
    }

    /// Sections of an INI text: `[name]` → lowercased `key = value` pairs (comments with # or ;).
    static func parse(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var section: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                    .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                if out[section!] == nil { out[section!] = [:] }
                continue
            }
            guard let s = section, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[s]![key] = value
        }
        return out
    }

    /// The profile's static credentials, if it has a key pair.
    public var credentials: AWSCredentials? {
        guard let id = values["aws_access_key_id"], !id.isEmpty,
              let secret = values["aws_secret_access_key"], !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }

    public var region: String? { values["region"] }
}
