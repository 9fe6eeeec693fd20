import Foundation
import RikerCore
import RikerTestSupport

/// The real git command line, isolated from the machine's and user's configuration.
enum GitCLI {
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        env["GIT_AUTHOR_NAME"] = "Riker Test"
        env["GIT_AUTHOR_EMAIL"] = "test@riker.invalid"
        env["GIT_COMMITTER_NAME"] = "Riker Test"
        env["GIT_COMMITTER_EMAIL"] = "test@riker.invalid"
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"] {
            env[key] = nil
        }
        return env
    }

    /// Runs `git ARGS` in `dir`; throws with git's output unless it exits 0 (or `allowFailure`).
    @discardableResult
    static func run(_ arguments: [String], in dir: URL, allowFailure: Bool = false) throws -> String {
        let spec = ProcessSpec("git", ["-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"] + arguments,
                               environment: environment, workingDirectory: dir)
        let result = try ProcessRunner.capture(spec, timeout: 60)
        if !allowFailure && !result.status.succeeded {
            throw RikerError(.process, "git \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new non-bare repository at `dir` with `files` committed (path → content; a
    /// content starting with "->" makes a symlink to the rest), returning the commit id.
    @discardableResult
    static func commit(_ files: [String: String], in dir: URL, message: String = "commit", executable: [String] = []) throws -> String {
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try run(["init", "-q"], in: dir)
        }
        for (path, content) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: url)
            if content.hasPrefix("->") {
                try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: String(content.dropFirst(2)))
            } else {
                try Data(content.utf8).write(to: url)
            }
        }
        for path in executable {
            chmod(dir.appendingPathComponent(path).path, 0o755)
        }
        try run(["add", "-A"], in: dir)
        try run(["commit", "-q", "-m", message], in: dir)
        return try run(["rev-parse", "HEAD"], in: dir)
    }
}
