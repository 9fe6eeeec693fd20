import Foundation
import RikerCore
import RikerRelease

/// The environment a release's processes run with, Heroku style.
enum ReleaseEnvironment {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The release's config snapshot, then what Riker sets: `PORT` (when given), `RIKER_*`,
    /// `HOME` = the release dir, and `PATH` (the config's own if it sets one).
    static func base(release: Release, directory: URL, port: Int?) -> [String: String] {
        var env = release.config
        env["PATH"] = release.config["PATH"] ?? "\(directory.path)/bin:\(defaultPath)"
        env["HOME"] = directory.path
        env["RIKER_APP"] = release.app
        env["RIKER_ENV"] = release.env
        env["RIKER_RELEASE"] = release.name
        env["RIKER_COMMIT"] = release.commit
        if let port { env["PORT"] = String(port) } else { env.removeValue(forKey: "PORT") }
        if env["LANG"] == nil { env["LANG"] = "C.UTF-8" }
        return env
    }

    /// The environment of one process (`DYNO=type.N`; `PORT` only for `web`).
    static func forProcess(_ type: String, index: Int = 1, release: Release, directory: URL, webPort: Int?) -> [String: String] {
        var env = base(release: release, directory: directory, port: type == "web" ? webPort : nil)
        env["DYNO"] = "\(type).\(index)"
        return env
    }

    /// Writes a process's environment to `file` (0600 in a 0700 directory of the agent's), for
    /// debugging on the instance: never inside the release dir, which the app serves and owns.
    static func writeDebugFile(_ env: [String: String], to file: URL) throws {
        let dir = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(dir.path, 0o700)
        try AtomicFile.write(Data(EnvFile.encode(env).utf8), to: file, mode: 0o600)
    }

    /// Runs a Procfile command the way Heroku does: in the app dir, after sourcing `.profile.d/*.sh`.
    /// The command is passed as `$1`, never spliced into the script text.
    static let launcher = """
    cd "$HOME" || exit 1
    if [ -d .profile.d ]; then for f in .profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; unset f; fi
    exec "$BASH" -c "$1"
    """

    /// The spec of one process (`type.index`): as `user` when given (the app's own unprivileged uid).
    static func spec(type: String, index: Int = 1, command: String, release: Release, directory: URL, webPort: Int?,
                     user: AppUser?) throws -> ProcessSpec {
        let bash = FileManager.default.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/usr/bin/bash"
        var spec = ProcessSpec(bash, ["-c", launcher, "riker-\(type)", command],
                               environment: forProcess(type, index: index, release: release, directory: directory, webPort: webPort),
                               workingDirectory: directory)
        spec.stdin = .null
        return try user?.wrap(spec) ?? spec
    }
}
