import Foundation
import RikerCore

/// Doctor checks of the root: its owner (the account pushes log in as) and who may read what.
enum RootChecks {
    /// The root exists, is a directory and is writable by its owner alone.
    static func root(_ ctx: DoctorContext) -> DoctorFinding {
        let path = ctx.paths.root.path
        guard let info = DoctorContext.status(ctx.paths.root) else {
            return .problem("root", "\(path) does not exist: run script/install (or pass --root)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return .problem("root", "\(path) is not a directory") }
        if info.st_mode & 0o022 != 0 {
            return .problem("root", "\(path) is \(DoctorContext.octal(info.st_mode)), writable by others: chmod go-w \(path)")
        }
        return .ok("root", "\(path) (\(DoctorContext.octal(info.st_mode)))")
    }

    /// The root's owner: a dedicated account with a shell sshd can run the forced command with,
    /// not locked, whose home is the root.
    static func user(_ ctx: DoctorContext) -> DoctorFinding {
        let root = ctx.paths.root.path
        guard let account = ctx.rootOwner else { return .problem("user", "the owner of \(root) has no account: run script/install") }
        let name = account.name
        if account.uid == 0 {
            return .warning("user", "\(root) belongs to root, so pushes log in as root: run script/install to hand it to a riker user")
        }
        if account.shell.hasSuffix("/nologin") || account.shell.hasSuffix("/false") || !FileManager.default.isExecutableFile(atPath: account.shell) {
            return .problem("user", "\(name)'s shell is '\(account.shell)', so sshd cannot run its forced command: usermod -s /bin/bash \(name)")
        }
        if ctx.isRoot, shadowPassword(name)?.hasPrefix("!") == true {
            return .problem("user", "\(name) is locked ('!' in /etc/shadow), so sshd refuses it: usermod -p '*' \(name)")
        }
        if URL(fileURLWithPath: account.home).standardizedFileURL.path != ctx.paths.root.path {
            return .warning("user", "\(name)'s home is \(account.home), not \(root): usermod -d \(root) \(name) (or point sshd's AuthorizedKeysFile at \(root)/.ssh)")
        }
        return .ok("user", "\(name) (uid \(account.uid)) owns \(root), its home")
    }

    /// The password field of `name` in /etc/shadow (root only; `!…` is a locked account).
    static func shadowPassword(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/etc/shadow", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 1, fields[0] == name { return String(fields[1]) }
        }
        return nil
    }

    /// One file or directory under the root: which bits others may not have, whether it must exist.
    struct Rule {
        var path: String
        /// Bits that must be clear (`0o077`: the owner's alone; `0o004`: not world-readable).
        var forbidden: mode_t
        var required: Bool
        /// The fix's chmod argument (`600`, `o-rw`).
        var fixMode: String
        var what: String
        /// Whether it must belong to the root's owner (instances/ belongs to serve's agents).
        var owned = true
        /// Findings name directories with a trailing `/`.
        var directory: Bool { [".ssh", "repos", "instances", "store"].contains(path) }
    }

    static func rules(localStore: Bool) -> [Rule] {
        var rules = [
            Rule(path: ".ssh", forbidden: 0o077, required: true, fixMode: "700", what: "SSH directory"),
            Rule(path: ".ssh/authorized_keys", forbidden: 0o077, required: true, fixMode: "600", what: "forced commands"),
            Rule(path: "keys.json", forbidden: 0o077, required: false, fixMode: "600", what: "key ring"),
            Rule(path: "riker.conf", forbidden: 0o077, required: false, fixMode: "600", what: "server settings (may hold credentials)"),
            Rule(path: "repos", forbidden: 0o006, required: false, fixMode: "o-rw", what: "app repositories"),
            Rule(path: "instances", forbidden: 0o006, required: false, fixMode: "o-rw", what: "local instances", owned: false),
        ]
        if localStore { rules.append(Rule(path: "store", forbidden: 0o077, required: false, fixMode: "700", what: "release store (config vars)")) }
        return rules
    }

    /// Each rule's path: present when required, no forbidden bits, owned by the root's owner.
    static func permissions(_ ctx: DoctorContext, localStore: Bool) -> [DoctorFinding] {
        let owner = ctx.rootOwner
        return rules(localStore: localStore).map { rule in
            let url = ctx.paths.root.appendingPathComponent(rule.path)
            // Directories end in `/`, so `store/` (its permissions) is not `store` (reachable).
            let check = rule.path + (rule.directory ? "/" : "")
            guard let info = DoctorContext.status(url) else {
                return rule.required
                    ? .problem(check, "\(url.path) is missing: run script/install, then add a key with keys:add NAME --admin < KEY.pub")
                    : .ok(check, "not created yet")
            }
            if info.st_mode & S_IFMT == S_IFLNK { return .problem(check, "\(url.path) is a symlink: Riker's files must be its own") }
            if info.st_mode & rule.forbidden != 0 {
                return .problem(check, "\(url.path) (\(rule.what)) is \(DoctorContext.octal(info.st_mode)), open to others: chmod \(rule.fixMode) \(url.path)")
            }
            if rule.owned, let owner, owner.uid != 0, info.st_uid != owner.uid {
                let actual = DoctorContext.account(uid: info.st_uid)?.name ?? "uid \(info.st_uid)"
                return .problem(check, "\(url.path) belongs to \(actual), not \(owner.name) (who owns the root): chown -R \(owner.name): \(url.path)")
            }
            return .ok(check, "\(DoctorContext.octal(info.st_mode)) \(url.path)")
        }
    }
}
