import Foundation

/// What Riker takes from an app's `app.json`, the manifest Heroku and Dokku read: the scripts
/// run around deploys, the initial formation, and Dokku's health checks per process type.
///
/// Other keys (`name`, `env`, `addons`, `buildpacks`, `cron`, `environments`, …) are ignored, as
/// are unknown keys inside the parts that are read. `init(parsing:)` reads and checks app.json;
/// the `Codable` form is Riker's own storage (e.g. in a release), not app.json's layout.
public struct AppManifest: Codable, Sendable, Equatable {
    public var scripts: Scripts
    /// `formation`: process type → how many to run (Heroku: dynos; Riker: processes per instance).
    public var formation: [String: Formation]
    /// `healthchecks`: process type → checks (Dokku). Riker health-checks `web` over HTTP.
    public var healthchecks: [String: [HealthCheck]]

    public init(scripts: Scripts = Scripts(), formation: [String: Formation] = [:], healthchecks: [String: [HealthCheck]] = [:]) {
        self.scripts = scripts; self.formation = formation; self.healthchecks = healthchecks
    }

    public struct Scripts: Codable, Sendable, Equatable {
        /// `scripts.postdeploy`: run once, after the app's first deploy (Heroku and Dokku).
        /// Heroku's `{"command": …, "size": …}` form is read as its command.
        public var postdeploy: String?
        /// `scripts.dokku.predeploy`: run in the built app before every deploy (Dokku).
        public var predeploy: String?
        /// `scripts.dokku.postdeploy`: run after every deploy (Dokku).
        public var postdeployEveryDeploy: String?

        public init(postdeploy: String? = nil, predeploy: String? = nil, postdeployEveryDeploy: String? = nil) {
            self.postdeploy = postdeploy; self.predeploy = predeploy; self.postdeployEveryDeploy = postdeployEveryDeploy
        }
    }

    public struct Formation: Codable, Sendable, Equatable {
        /// How many to run; nil when app.json names the type without a quantity.
        public var quantity: Int?
        /// Heroku's dyno size (`standard-1x`), kept for display; Riker does not size processes.
        public var size: String?

        public init(quantity: Int? = nil, size: String? = nil) { self.quantity = quantity; self.size = size }
    }

    /// One Dokku health check. Riker runs HTTP checks (`path`); the others are read for display.
    public struct HealthCheck: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, CaseIterable { case startup, liveness, readiness }

        /// When the check runs; Dokku's default is `startup` (during a deploy).
        public var type: Kind
        public var name: String?
        /// HTTP path to request, starting with `/`.
        public var path: String?
        /// Text the response body must contain.
        public var content: String?
        /// How many times to try before the check fails.
        public var attempts: Int?
        /// Seconds each attempt may take.
        public var timeout: Int?
        /// Seconds between attempts.
        public var wait: Int?
        /// Seconds to wait after the process starts before the first attempt.
        public var initialDelay: Int?
        /// Port to check instead of the process's `$PORT`.
        public var port: Int?
        /// Seconds the process must have stayed up (Dokku's uptime check).
        public var uptime: Int?

        public init(type: Kind = .startup, name: String? = nil, path: String? = nil, content: String? = nil, attempts: Int? = nil,
                    timeout: Int? = nil, wait: Int? = nil, initialDelay: Int? = nil, port: Int? = nil, uptime: Int? = nil) {
            self.type = type; self.name = name; self.path = path; self.content = content; self.attempts = attempts
            self.timeout = timeout; self.wait = wait; self.initialDelay = initialDelay; self.port = port; self.uptime = uptime
        }
    }

    /// The largest `formation.TYPE.quantity` accepted.
    public static let maxQuantity = 100

    /// Parses and checks `app.json`. Throws `RikerError(.invalidInput, …)` with one line naming
    /// the first problem (`app.json: formation.web.quantity must be a whole number from 0 to 100`).
    public init(parsing data: Data) throws {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            if data.allSatisfy({ [0x20, 0x09, 0x0a, 0x0d].contains($0) }) {
                throw RikerError(.invalidInput, "app.json is empty: write a JSON object ({}) or remove the file")
            }
            throw RikerError(.invalidInput, "app.json is not valid JSON\(Self.syntaxDetail(data)): fix its syntax")
        }
        self = try ManifestReader().manifest(root)
    }

    /// JSONSerialization's own description of a syntax error, e.g. ` (Invalid value around character 8.)`.
    private static func syntaxDetail(_ data: Data) -> String {
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]); return "" } catch {
            let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            return text.isEmpty ? "" : " (\(text.prefix(120)))"
        }
    }
}

/// A parsed JSON value that keeps booleans, numbers and strings apart (JSONSerialization's
/// NSNumber does not, on Linux).
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "true or false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

/// Walks the parsed JSON, checking each part it reads and naming its path in the error.
private struct ManifestReader {
    func manifest(_ root: JSONValue) throws -> AppManifest {
        guard case .object(let top) = root else { throw RikerError(.invalidInput, "app.json must be a JSON object, not \(root.kind)") }
        var manifest = AppManifest()
        if let scripts = try object(top["scripts"], "scripts") {
            manifest.scripts.postdeploy = try command(scripts["postdeploy"], "scripts.postdeploy")
            if let dokku = try object(scripts["dokku"], "scripts.dokku") {
                manifest.scripts.predeploy = try string(dokku["predeploy"], "scripts.dokku.predeploy")
                manifest.scripts.postdeployEveryDeploy = try string(dokku["postdeploy"], "scripts.dokku.postdeploy")
            }
        }
        if let formation = try object(top["formation"], "formation") {
            for (type, value) in formation.sorted(by: { $0.key < $1.key }) {
                try processType(type, in: "formation")
                guard let entry = try object(value, "formation.\(type)") else { continue }
                manifest.formation[type] = AppManifest.Formation(
                    quantity: try int(entry["quantity"], "formation.\(type).quantity", 0...AppManifest.maxQuantity),
                    size: try string(entry["size"], "formation.\(type).size"))
            }
        }
        if let checks = try object(top["healthchecks"], "healthchecks") {
            for (type, value) in checks.sorted(by: { $0.key < $1.key }) {
                try processType(type, in: "healthchecks")
                guard let list = try array(value, "healthchecks.\(type)") else { continue }
                manifest.healthchecks[type] = try list.enumerated().map { i, item in try check(item, "healthchecks.\(type)[\(i)]") }
            }
        }
        return manifest
    }

    private func check(_ value: JSONValue, _ path: String) throws -> AppManifest.HealthCheck {
        guard let fields = try object(value, path) else { throw problem(path, "must be an object") }
        var check = AppManifest.HealthCheck()
        if let type = try string(fields["type"], "\(path).type") {
            guard let kind = AppManifest.HealthCheck.Kind(rawValue: type) else {
                throw problem("\(path).type", "must be startup, liveness or readiness, not '\(type.prefix(40))'")
            }
            check.type = kind
        }
        check.name = try string(fields["name"], "\(path).name")
        check.path = try string(fields["path"], "\(path).path")
        if let p = check.path, !p.hasPrefix("/") || p.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw problem("\(path).path", "must be a URL path starting with / (without spaces), not '\(p.prefix(60))'")
        }
        check.content = try string(fields["content"], "\(path).content")
        check.attempts = try int(fields["attempts"], "\(path).attempts", 1...100)
        check.timeout = try int(fields["timeout"], "\(path).timeout", 1...3600)
        check.wait = try int(fields["wait"], "\(path).wait", 0...3600)
        check.initialDelay = try int(fields["initialDelay"], "\(path).initialDelay", 0...3600)
        check.port = try int(fields["port"], "\(path).port", 1...65535)
        check.uptime = try int(fields["uptime"], "\(path).uptime", 0...3600)
        return check
    }

    private func processType(_ type: String, in section: String) throws {
        guard Procfile.isValidType(type) else {
            throw RikerError(.invalidInput, "app.json: \(section) names an invalid process type '\(type.prefix(40))' (use letters, digits, '-' or '_')")
        }
    }

    private func problem(_ path: String, _ what: String) -> RikerError {
        RikerError(.invalidInput, "app.json: \(path) \(what)")
    }

    // Each accessor returns nil for a missing key or null, and throws for a value of another kind.

    private func object(_ value: JSONValue?, _ path: String) throws -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .object(let o)?: return o
        case let other?: throw problem(path, "must be an object, not \(other.kind)")
        }
    }

    private func array(_ value: JSONValue?, _ path: String) throws -> [JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .array(let a)?: return a
        case let other?: throw problem(path, "must be a list, not \(other.kind)")
        }
    }

    private func string(_ value: JSONValue?, _ path: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw problem(path, "must be a string, not \(other.kind)")
        }
    }

    /// A command: a string, or Heroku's `{"command": "…"}` object.
    private func command(_ value: JSONValue?, _ path: String) throws -> String? {
        if case .object(let o)? = value {
            guard let command = try string(o["command"], "\(path).command") else { throw problem("\(path).command", "is missing") }
            return command
        }
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw problem(path, "must be a command string, not \(other.kind)")
        }
    }

    private func int(_ value: JSONValue?, _ path: String, _ range: ClosedRange<Int>) throws -> Int? {
        let limits = "must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        switch value {
        case nil, .null?: return nil
        case .number(let n)?:
            guard n.rounded() == n, n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
                throw problem(path, "\(limits), not \(n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n))")
            }
            return Int(n)
        case let other?: throw problem(path, "\(limits), not \(other.kind)")
        }
    }
}
