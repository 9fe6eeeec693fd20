import Foundation
import RikerCore
import RikerGit

/// An app's bare git repository under `ROOT/repos/APP.git`, with Riker's hooks installed.
public enum AppRepository {
    /// Creates the bare repository if needed and (re)installs the hooks. Returns its path.
    @discardableResult
    public static func ensure(_ app: String, paths: RikerPaths) throws -> URL {
        try AppName.validate(app)
        let dir = paths.repo(app)
        // Repositories are Riker's alone: no app, build or other local user may read them.
        try FileManager.default.createDirectory(at: paths.reposDir, withIntermediateDirectories: true)
        chmod(paths.reposDir.path, 0o700)
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("HEAD").path) {
            _ = try GitRepository.initBare(dir)
        }
        try installHooks(into: dir)
        return dir
    }

    public static func exists(_ app: String, paths: RikerPaths) -> Bool {
        FileManager.default.fileExists(atPath: paths.repo(app).appendingPathComponent("HEAD").path)
    }

    /// Copies `hooks/pre-receive` and `hooks/post-receive` of the installation into the repo
    /// (only when they differ), executable.
    public static func installHooks(into repo: URL) throws {
        let hooks = repo.appendingPathComponent("hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        for name in ["pre-receive", "post-receive"] {
            let source = Installation.hooksDir.appendingPathComponent(name)
            guard let data = try AtomicFile.read(source) else {
                throw RikerError(.notFound, "Riker's hook \(source.path) is missing: set RIKER_HOME to the Riker checkout")
            }
            let target = hooks.appendingPathComponent(name)
            if try AtomicFile.read(target) != data { try AtomicFile.write(data, to: target, mode: 0o755) }
        }
    }

    /// Removes the repository.
    public static func remove(_ app: String, paths: RikerPaths) throws {
        try AppName.validate(app)
        let dir = paths.repo(app)
        if FileManager.default.fileExists(atPath: dir.path) { try FileManager.default.removeItem(at: dir) }
    }
}
