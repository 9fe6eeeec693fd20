import Foundation
import RikerCore

/// What `riker doctor` looks at: this installation, the root, and the account that owns it.
struct DoctorContext {
    /// A passwd entry.
    struct Account: Equatable {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var home: String
        var shell: String
    }

    let paths: RikerPaths
    let rikerBinary: URL
    let agentBinary: URL
    let resourceDir: URL
    /// The sshd configuration to check (`--sshd-config`).
    let sshdConfig: URL
    /// Whether doctor runs as root (sshd -T and /etc/shadow need it).
    let isRoot: Bool

    init(paths: RikerPaths, sshdConfig: URL, rikerBinary: URL = Installation.rikerBinary, agentBinary: URL = Installation.agentBinary,
         resourceDir: URL = Installation.resourceDir, isRoot: Bool = geteuid() == 0) {
        self.paths = paths; self.sshdConfig = sshdConfig; self.rikerBinary = rikerBinary; self.agentBinary = agentBinary
        self.resourceDir = resourceDir; self.isRoot = isRoot
    }

    /// The account that owns the root: the one pushes log in as.
    var rootOwner: Account? {
        var info = stat()
        guard stat(paths.root.path, &info) == 0 else { return nil }
        return Self.account(uid: info.st_uid)
    }

    static func account(uid: uid_t) -> Account? {
        guard let pw = getpwuid(uid) else { return nil }
        return Account(name: String(cString: pw.pointee.pw_name), uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid,
                       home: String(cString: pw.pointee.pw_dir), shell: String(cString: pw.pointee.pw_shell))
    }

    /// `lstat` of `url`, or nil if it does not exist.
    static func status(_ url: URL) -> stat? {
        var info = stat()
        return lstat(url.path, &info) == 0 ? info : nil
    }

    /// The first executable called `name` on the build PATH (what builds and sshd sessions see).
    static func tool(_ name: String) -> String? {
        let dirs = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".split(separator: ":")
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `0644`: the permission bits of a mode, as chmod takes them.
    static func octal(_ mode: mode_t) -> String { String(format: "%04o", Int(mode & 0o7777)) }
}
