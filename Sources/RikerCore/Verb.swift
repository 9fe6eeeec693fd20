/// One verb of `riker`, and who may run it. The one list of verbs: the command line, the SSH
/// command parser and the access check all derive from `Verb.all`.
public struct Verb: Sendable, Hashable, CustomStringConvertible {
    /// Who may run a verb, and where.
    public enum Access: Sendable, Hashable {
        /// Admin keys only (keys, creating and destroying apps, app settings).
        case admin
        /// Keys whose app list holds the verb's app: reads.
        case appRead
        /// Keys whose app list holds the verb's app: changes (config, deploys, rollbacks).
        case appWrite
        /// Every registered key.
        case anyone
        /// Not over SSH: run on the server itself (serve, hooks, the forced command, tools).
        case localOnly
    }

    public let name: String
    public let access: Access
    /// Whether the first positional argument names the app the verb acts on.
    public var takesApp: Bool { access == .appRead || access == .appWrite }
    public var description: String { name }

    init(_ name: String, _ access: Access) { self.name = name; self.access = access }

    public static let keysAdd = Verb("keys:add", .admin)
    public static let keysRemove = Verb("keys:remove", .admin)
    public static let keysList = Verb("keys:list", .admin)
    public static let appsCreate = Verb("apps:create", .admin)
    public static let appsList = Verb("apps:list", .admin)
    public static let appsInfo = Verb("apps:info", .appRead)
    public static let appsDestroy = Verb("apps:destroy", .admin)
    public static let appsSet = Verb("apps:set", .admin)
    public static let config = Verb("config", .appRead)
    public static let configSet = Verb("config:set", .appWrite)
    public static let configUnset = Verb("config:unset", .appWrite)
    public static let releases = Verb("releases", .appRead)
    public static let rollback = Verb("rollback", .appWrite)
    public static let deploy = Verb("deploy", .appWrite)
    public static let promote = Verb("promote", .appWrite)
    public static let ps = Verb("ps", .appRead)
    public static let psScale = Verb("ps:scale", .appWrite)
    public static let logs = Verb("logs", .appRead)
    public static let deploys = Verb("deploys", .appRead)
    public static let deploysInfo = Verb("deploys:info", .appRead)
    public static let help = Verb("help", .anyone)
    public static let serve = Verb("serve", .localOnly)
    public static let sshCommand = Verb("ssh-command", .localOnly)
    public static let hook = Verb("hook", .localOnly)
    public static let slugPack = Verb("slug:pack", .localOnly)
    public static let slugUnpack = Verb("slug:unpack", .localOnly)
    public static let s3Copy = Verb("s3:cp", .localOnly)
    public static let keysSync = Verb("keys:sync", .localOnly)
    public static let doctor = Verb("doctor", .localOnly)

    /// Every verb, in the order `help` lists them.
    public static let all: [Verb] = [
        keysAdd, keysRemove, keysList,
        appsCreate, appsList, appsInfo, appsDestroy, appsSet,
        config, configSet, configUnset,
        releases, rollback, deploy, promote, ps, psScale, logs, deploys, deploysInfo, help,
        serve, sshCommand, hook, slugPack, slugUnpack, s3Copy, keysSync, doctor,
    ]

    /// Verbs that may be run over SSH.
    public static var overSSH: [Verb] { all.filter { $0.access != .localOnly } }

    /// The verb called `name`, if there is one.
    public static func named(_ name: String) -> Verb? { all.first { $0.name == name } }
}
