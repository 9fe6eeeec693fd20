import Foundation

/// Where this Riker installation's own files are: its executables, `buildpacks/` and `hooks/`.
public enum Installation {
    /// The running executable's real path (`/proc/self/exe`).
    public static var executable: URL {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return URL(fileURLWithPath: String(cString: buf)) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }

    /// Directory of the running executable (where `riker` and `riker-agent` sit side by side).
    public static var binDir: URL { executable.deletingLastPathComponent() }

    public static var rikerBinary: URL { binDir.appendingPathComponent("riker") }
    public static var agentBinary: URL { binDir.appendingPathComponent("riker-agent") }

    /// The directory holding `buildpacks/` and `hooks/`: `$RIKER_HOME`, else the nearest ancestor
    /// of the executable that has both (a source checkout), else `PREFIX/share/riker` beside the
    /// executable's `PREFIX/bin` (what `script/install` writes: `/usr/local/bin/riker` finds
    /// `/usr/local/share/riker`), else `/usr/share/riker`.
    public static var resourceDir: URL {
        if let env = ProcessInfo.processInfo.environment["RIKER_HOME"], !env.isEmpty { return URL(fileURLWithPath: env) }
        var dir = binDir
        while dir.path != "/" {
            if hasResources(dir) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        let shared = binDir.deletingLastPathComponent().appendingPathComponent("share/riker")
        if hasResources(shared) { return shared }
        return URL(fileURLWithPath: "/usr/share/riker")
    }

    /// Whether `dir` has `buildpacks/` and `hooks/pre-receive`.
    static func hasResources(_ dir: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: dir.appendingPathComponent("buildpacks").path)
            && fm.fileExists(atPath: dir.appendingPathComponent("hooks/pre-receive").path)
    }

    public static var builtinBuildpacks: URL { resourceDir.appendingPathComponent("buildpacks") }
    public static var hooksDir: URL { resourceDir.appendingPathComponent("hooks") }
}
