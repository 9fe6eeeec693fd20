import Foundation
import RikerCore

/// Doctor check of the system sshd: for the root's owner, its effective configuration
/// (`sshd -T`, Match blocks applied) takes keys from ROOT/.ssh/authorized_keys and no passwords.
enum SSHDCheck {
    static let sshd = "/usr/sbin/sshd"

    static func check(_ ctx: DoctorContext) -> DoctorFinding {
        guard FileManager.default.isExecutableFile(atPath: sshd) else {
            return .problem("sshd", "\(sshd) not found: apt-get install openssh-server")
        }
        let config = ctx.sshdConfig.path
        guard FileManager.default.fileExists(atPath: config) else {
            return .warning("sshd", "no \(config): sshd's configuration was not checked (pass --sshd-config PATH)")
        }
        guard ctx.isRoot else { return .warning("sshd", "run doctor as root to check sshd's configuration (sshd -T needs the host keys)") }
        guard let account = ctx.rootOwner else { return .problem("sshd", "the owner of \(ctx.paths.root.path) has no account: run script/install") }

        let spec = ProcessSpec(sshd, ["-T", "-f", config, "-C", "user=\(account.name),host=localhost,addr=127.0.0.1"],
                               environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        let output: String
        do {
            let (out, status) = try ProcessRunner.capture(spec, timeout: 30)
            guard status.succeeded else {
                return .problem("sshd", "sshd -T -f \(config) fails: \(out.split(separator: "\n").first ?? "no output")")
            }
            output = out
        } catch {
            return .problem("sshd", "cannot run sshd -T: \(error.userMessage)")
        }
        let settings = parse(output)
        let wanted = ctx.paths.authorizedKeys.path
        let files = (settings["authorizedkeysfile"] ?? []).map { expand($0, account: account) }
        guard files.contains(wanted) else {
            return .problem("sshd", "sshd gives \(account.name) keys from \(files.joined(separator: " ")), not \(wanted): run script/install "
                + "(a Match User \(account.name) block with AuthorizedKeysFile \(wanted))")
        }
        let allowed = settings["allowusers"] ?? []
        if !allowed.isEmpty, !allowed.contains(where: { $0 == account.name || $0 == "*" || $0.hasPrefix("\(account.name)@") }),
           !allowed.contains(where: { $0.contains("*") || $0.contains("?") }) {
            return .problem("sshd", "sshd's AllowUsers (\(allowed.joined(separator: " "))) leaves out \(account.name): add it")
        }
        if settings["passwordauthentication"]?.first == "yes" {
            return .warning("sshd", "sshd lets \(account.name) log in with a password: PasswordAuthentication no in its Match block (script/install)")
        }
        return .ok("sshd", "\(account.name) logs in with \(wanted), public keys only")
    }

    /// `sshd -T` output: lower-case keyword, then its values.
    static func parse(_ output: String) -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let key = words.first else { continue }
            settings[key, default: []] += words.dropFirst()
        }
        return settings
    }

    /// An AuthorizedKeysFile entry as a path: `%h`, `%u`, `%U`, `%%` expanded; relative to the home.
    static func expand(_ token: String, account: DoctorContext.Account) -> String {
        var out = ""
        var chars = token.makeIterator()
        while let c = chars.next() {
            guard c == "%", let next = chars.next() else { out.append(c); continue }
            switch next {
            case "h": out += account.home
            case "u": out += account.name
            case "U": out += String(account.uid)
            case "%": out += "%"
            default: out += "%\(next)"
            }
        }
        if !out.hasPrefix("/") { out = account.home + "/" + out }
        return URL(fileURLWithPath: out).standardizedFileURL.path
    }
}
