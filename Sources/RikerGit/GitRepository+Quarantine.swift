import CGit2
import Foundation
import RikerCore

extension GitRepository {
    /// The object directories git names in a hook's environment, in git's own order of meaning:
    /// the quarantine (where a push's new objects wait until pre-receive accepts them), the
    /// current object directory, then the colon-separated alternates.
    ///
    /// Relative paths are taken from the current directory, as git does.
    static func objectDirectories(in environment: [String: String]) -> [String] {
        var paths: [String] = []
        for key in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
            if let value = environment[key], !value.isEmpty { paths.append(value) }
        }
        if let alternates = environment["GIT_ALTERNATE_OBJECT_DIRECTORIES"] {
            paths += alternates.split(separator: ":").map(String.init).map(unquoted).filter { !$0.isEmpty }
        }
        let cwd = FileManager.default.currentDirectoryPath
        var seen = Set<String>()
        return paths.compactMap { raw in
            let absolute = raw.hasPrefix("/") ? raw : URL(fileURLWithPath: cwd).appendingPathComponent(raw).path
            let normalized = URL(fileURLWithPath: absolute).standardizedFileURL.path
            return seen.insert(normalized).inserted ? normalized : nil
        }
    }

    /// Git double-quotes an alternate that contains a colon; such an entry arrives split
    /// here and is not supported, but a quoted plain path is accepted.
    private static func unquoted(_ path: String) -> String {
        guard path.count >= 2, path.hasPrefix("\""), path.hasSuffix("\"") else { return path }
        return String(path.dropFirst().dropLast())
    }

    /// Makes this handle see the objects in the environment's object directories (see
    /// `objectDirectories(in:)`), skipping the repository's own and ones that do not exist.
    func addObjectDirectories(from environment: [String: String]) throws {
        let directories = Self.objectDirectories(in: environment)
        guard !directories.isEmpty else { return }
        let own = URL(fileURLWithPath: String(cString: git_repository_path(pointer)))
            .appendingPathComponent("objects").standardizedFileURL.resolvingSymlinksInPath().path
        var out: OpaquePointer?
        try gitCheck(git_repository_odb(&out, pointer), "cannot open the object database of \(path.path)")
        let odb = GitOdb(out!)
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if URL(fileURLWithPath: directory).resolvingSymlinksInPath().path == own { continue }
            try odb.addDiskAlternate(directory)
        }
    }
}
