import RikerCore

/// Who may do what: admin keys everything; other keys git and the app verbs (`Verb.Access`)
/// for the apps in their list, and the verbs anyone may run.
public enum Access {
    /// Throws `.permissionDenied` with a line naming the key and what it may not do (git).
    public static func authorize(_ key: SSHKey, _ request: SSHRequest) throws {
        if key.admin { return }
        switch request {
        case .receivePack(let app), .uploadPack(let app):
            guard key.apps.contains(app) else { throw denied(key, "access \(app)") }
        case .admin(let verb, _):
            // Verbs are authorized once their arguments are parsed (the app is known then).
            try authorize(key, verb: verb, app: nil)
        }
    }

    /// Throws `.permissionDenied` unless `key` may run `verb` on `app` (the app its parsed
    /// arguments name; nil for verbs without one).
    public static func authorize(_ key: SSHKey, verb: Verb, app: String?) throws {
        if key.admin || verb.access == .anyone { return }
        guard verb.takesApp, let app else { throw denied(key, "run \(verb)") }
        guard key.apps.contains(app) else { throw denied(key, "run \(verb) on \(app)") }
    }

    static func denied(_ key: SSHKey, _ what: String) -> RikerError {
        RikerError(.permissionDenied, "key \(key.name) may not \(what): ask an admin to run keys:add with --app")
    }
}
