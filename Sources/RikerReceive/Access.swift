import RikerCore

/// Who may do what: admin keys everything; other keys git and the app verbs (`Verb.Access`)
/// for the apps in their list, and the verbs anyone may run.
public enum Access {
    /// Options that take a value, so the app argument can be found after them.
    static let optionsWithValue: Set<String> = ["--env", "--from", "--to", "--app", "--confirm", "--listen", "--root"]

    /// Throws `.permissionDenied` with a line naming the key and what it may not do.
    public static func authorize(_ key: SSHKey, _ request: SSHRequest) throws {
        if key.admin { return }
        switch request {
        case .receivePack(let app), .uploadPack(let app):
            guard key.apps.contains(app) else { throw denied(key, "access \(app)") }
        case .admin(let verb, let args):
            if verb.access == .anyone { return }
            guard verb.takesApp, let app = appArgument(args) else { throw denied(key, "run \(verb)") }
            guard key.apps.contains(app) else { throw denied(key, "run \(verb) on \(app)") }
        }
    }

    /// The first positional argument (the app of app verbs).
    public static func appArgument(_ args: [String]) -> String? {
        var i = 0
        while i < args.count {
            let a = args[i]
            if optionsWithValue.contains(a) { i += 2; continue }
            if a.hasPrefix("-") { i += 1; continue }
            return a
        }
        return nil
    }

    static func denied(_ key: SSHKey, _ what: String) -> RikerError {
        RikerError(.permissionDenied, "key \(key.name) may not \(what): ask an admin to run keys:add with --app")
    }
}
