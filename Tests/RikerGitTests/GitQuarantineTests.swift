import Foundation
import RikerCore
import RikerGit
import RikerTestSupport
import Testing

/// A pre-receive hook runs before git moves the pushed objects out of its quarantine
/// directory; these tests capture a real quarantine and show `open(_:environment:)` sees it.
@Suite struct GitQuarantineTests {
    /// `unpackLimit` 1 keeps the push as a pack in the quarantine; 1000 explodes it into loose objects.
    @Test(arguments: [1, 1000])
    func openWithTheHookEnvironmentSeesObjectsStillInQuarantine(unpackLimit: Int) throws {
        let tmp = try TempDir("riker-quarantine")
        defer { tmp.remove() }
        let capture = tmp.path("capture")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        let bare = tmp.path("app.git")
        try GitCLI.run(["init", "-q", "--bare", bare.path], in: tmp.url)
        try GitCLI.run(["config", "receive.unpackLimit", "\(unpackLimit)"], in: bare)
        let hook = bare.appendingPathComponent("hooks/pre-receive")
        try Data("""
        #!/bin/sh
        read old new ref
        echo "$new" > "\(capture.path)/new"
        printf '%s\\n' "$GIT_QUARANTINE_PATH" > "\(capture.path)/quarantine-path"
        printf '%s\\n' "$GIT_ALTERNATE_OBJECT_DIRECTORIES" > "\(capture.path)/alternates"
        cp -R "$GIT_QUARANTINE_PATH" "\(capture.path)/objects"
        echo "rejected by test hook" >&2
        exit 1

        """.utf8).write(to: hook)
        chmod(hook.path, 0o755)

        let work = tmp.path("work")
        try GitCLI.commit(["web.py": "print('hi')\n", "Procfile": "web: python web.py\n"], in: work)
        let pushed = try GitCLI.commit(["web.py": "print('v2')\n"], in: work)
        let push = try GitCLI.run(["push", bare.path, "main"], in: work, allowFailure: true)
        #expect(push.contains("rejected by test hook"))

        func captured(_ name: String) throws -> String {
            try String(contentsOf: capture.appendingPathComponent(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try captured("new") == pushed)
        let quarantinePath = try captured("quarantine-path")
        // git names it objects/incoming-XXXXXX (2.11+) or objects/tmp_objdir-incoming-XXXXXX (2.13+).
        #expect(quarantinePath.contains("/objects/") && quarantinePath.contains("incoming-"), "git really quarantined the push: \(quarantinePath)")
        #expect(!FileManager.default.fileExists(atPath: quarantinePath), "git removed the quarantine after the rejection")

        // Plain open: the rejected push's commit is not in the repository.
        let plain = try GitRepository.open(bare, environment: [:])
        #expect(throws: RikerError.self) { try plain.resolveCommit(pushed) }

        // The hook's environment, with the quarantine pointing at the copy the hook made.
        let copy = capture.appendingPathComponent("objects").path
        let hookEnvironment = [
            "GIT_QUARANTINE_PATH": copy,
            "GIT_OBJECT_DIRECTORY": copy,
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": try captured("alternates"),
        ]
        let inHook = try GitRepository.open(bare, environment: hookEnvironment)
        #expect(try inHook.resolveCommit(pushed) == pushed)
        let out = tmp.path("build")
        try inHook.checkout(commit: pushed, to: out)
        #expect(try String(contentsOf: out.appendingPathComponent("web.py"), encoding: .utf8) == "print('v2')\n")
        #expect(try String(contentsOf: out.appendingPathComponent("Procfile"), encoding: .utf8) == "web: python web.py\n")
        #expect(try inHook.summary(of: pushed) == "commit")
    }
}
