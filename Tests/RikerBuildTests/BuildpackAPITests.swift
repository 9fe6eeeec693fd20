import Foundation
import RikerCore
import RikerGit
import Testing
@testable import RikerBuild

@Suite struct BuildpackAPITests {
    /// First buildpack: counts builds in CACHE_DIR, copies a config var from ENV_DIR, exports a var.
    /// Second buildpack: sees the exported var.
    private func multiBuildpackFixture() throws -> (BuildFixture, URL, URL) {
        let f = try BuildFixture()
        let first = try f.buildpack("first", compile: """
            build=$1 cache=$2 env=$3
            n=$(cat "$cache/count" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$cache/count"
            echo "-----> first: build number $n"
            echo "       indented detail from first"
            cp "$env/GREETING" "$build/greeting-from-env"
            bp_dir=$(cd "$(dirname "$0")/.." && pwd)
            echo 'export FROM_FIRST="exported by first"' > "$bp_dir/export"
            """)
        let second = try f.buildpack("second", compile: """
            echo "-----> second sees: $FROM_FIRST"
            printf '%s' "$FROM_FIRST" > "$1/from-first"
            """)
        try f.writeApp([".buildpacks": "# build with two buildpacks\n\(first.path)\n\n\(second.path)\n", "Procfile": "web: true\n"])
        return (f, first, second)
    }

    @Test func multiBuildpackBuildUsesCacheDirEnvDirAndExport() throws {
        let (f, first, second) = try multiBuildpackFixture(); defer { f.remove() }
        let (result, lines) = f.build(config: ["GREETING": "hello from config"])
        let built = try result.get()
        #expect(built.builder == "buildpack:\(first.path)+buildpack:\(second.path)")
        #expect(f.read("greeting-from-env") == "hello from config")
        #expect(f.read("from-first") == "exported by first")
        // Heroku's order: the list, then each buildpack detected right before its compile output.
        #expect(Array(lines.prefix(7)) == [
            "-----> Using buildpacks:", "       1. \(first.path)", "       2. \(second.path)",
            "-----> first app detected", "-----> first: build number 1", "       indented detail from first",
            "-----> second app detected",
        ])
        #expect(lines.contains("-----> second sees: exported by first"))
        // ENV_DIR lives in tmp only for the build; config values never reach the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.tmp.path).isEmpty)
        #expect(!lines.contains { $0.contains("hello from config") })

        // CACHE_DIR persists: the second build sees the first build's count.
        let (again, againLines) = f.build(config: ["GREETING": "x"])
        _ = try again.get()
        #expect(againLines.contains("-----> first: build number 2"))
    }

    @Test func defaultProcessTypesAreMergedUnderTheProcfile() throws {
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("defaults", compile: "true", release: """
            cat <<'YAML'
            ---
            addons: []
            config_vars:
              FOO: bar
            default_process_types:
              web: default-web --port $PORT
              clock: default-clock
            YAML
            """)
        try f.writeApp(["Procfile": "web: my-web\nworker: my-worker\n"])
        let (result, lines) = f.build(config: ["BUILDPACK_URL": pack.path])
        #expect(try result.get().processTypes == ["web": "my-web", "worker": "my-worker", "clock": "default-clock"])
        let discovering = try #require(lines.firstIndex(of: "-----> Discovering process types"))
        #expect(lines[discovering + 1] == "       Procfile declares types     -> web, worker")
        #expect(lines[discovering + 2] == "       Default types for buildpack -> clock, web")

        // Without a Procfile the defaults are the process types.
        try FileManager.default.removeItem(at: f.app.appendingPathComponent("Procfile"))
        let (noProcfile, noProcfileLines) = f.build(config: ["BUILDPACK_URL": pack.path])
        #expect(try noProcfile.get().processTypes == ["web": "default-web --port $PORT", "clock": "default-clock"])
        #expect(noProcfileLines.contains("       Procfile declares types     -> (none)"))
    }

    @Test func invalidReleaseYAMLFailsTheBuild() throws {
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("badyaml", compile: "true", release: "echo 'default_process_types: [not, a, map'")
        try f.writeApp(["Procfile": "web: true\n"])
        let error = try #require(f.build(config: ["BUILDPACK_URL": pack.path]).result.rikerError)
        #expect(error.message.contains("bin/release printed invalid YAML"))
    }

    @Test func appFilesLinkingOutsideTheAppAreNotRead() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try FileManager.default.createSymbolicLink(atPath: f.app.appendingPathComponent("Procfile").path, withDestinationPath: "/etc/passwd")
        let (result, lines) = f.build()
        #expect(result.rikerError?.message == "Procfile is a symlink that points outside the app")
        #expect(!lines.contains { $0.contains("root:") })

        // A link that stays inside the app is fine.
        try FileManager.default.removeItem(at: f.app.appendingPathComponent("Procfile"))
        try f.writeApp(["config/Procfile.prod": "web: true\n"])
        try FileManager.default.createSymbolicLink(atPath: f.app.appendingPathComponent("Procfile").path, withDestinationPath: "config/Procfile.prod")
        #expect(try f.build().result.get().processTypes == ["web": "true"])
    }

    @Test func failingCompileFailsTheBuildWithItsExitCode() throws {
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("broken", compile: "echo ' !     something is wrong'; exit 3")
        try f.writeApp(["Procfile": "web: true\n"])
        let (result, lines) = f.build(config: ["BUILDPACK_URL": pack.path])
        let error = try #require(result.rikerError)
        #expect(error.code == .buildFailed)
        #expect(error.message == "buildpack \(pack.path) failed (exit code 3)")
        #expect(lines.contains(" !     something is wrong"))
    }

    @Test func timeLimitKillsTheBuildQuickly() throws {
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("slow", compile: "echo '-----> sleeping'; sleep 1000")
        try f.writeApp(["Procfile": "web: true\n"])
        let started = Date()
        let (result, lines) = f.build(config: ["BUILDPACK_URL": pack.path], timeout: 2)
        let error = try #require(result.rikerError)
        #expect(error.message == "build timed out after 2 s")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(lines.contains("-----> sleeping"))
        // Nothing of the build's process group is left running.
        let (ps, _) = try ProcessRunner.capture(ProcessSpec("/bin/ps", ["-eo", "args"]))
        #expect(!ps.contains("sleep 1000"))
    }

    @Test func buildRunsInACleanEnvironment() throws {
        setenv("RIKER_TEST_HOOK_SECRET", "do-not-leak", 1)
        defer { unsetenv("RIKER_TEST_HOOK_SECRET") }
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("env", compile: "env | sort > \"$1/build-env\"")
        try f.writeApp(["Procfile": "web: true\n"])
        _ = try f.build(config: ["BUILDPACK_URL": pack.path, "APP_SECRET": "s3cret"]).result.get()
        let env = try #require(f.read("build-env"))
        #expect(!env.contains("do-not-leak"))
        #expect(!env.contains("s3cret"))
        #expect(env.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"))
        #expect(env.contains("STACK=heroku-22\n"))
        #expect(env.contains("SOURCE_VERSION=0123456789abcdef0123456789abcdef01234567\n"))
        #expect(env.contains("HOME=\(f.tmp.path)/"))
    }

    @Test(.enabled(if: BuildFixture.buildUser != nil, "needs root"))
    func buildRunsAsTheBuildUserWhenRoot() throws {
        let user = try #require(BuildFixture.buildUser)
        let f = try BuildFixture(); defer { f.remove() }
        let pack = try f.buildpack("whoami", compile: "id -u > \"$1/built-by\"; touch \"$2/cached\"")
        try f.writeApp(["Procfile": "web: true\n"])
        _ = try f.build(config: ["BUILDPACK_URL": pack.path]).result.get()
        #expect(f.read("built-by") == "\(user.uid)\n")
        let owner = try FileManager.default.attributesOfItem(atPath: f.app.appendingPathComponent("built-by").path)[.ownerAccountID] as? NSNumber
        #expect(owner?.uint32Value == user.uid)
        let cacheOwner = try FileManager.default.attributesOfItem(atPath: f.cache.appendingPathComponent("cached").path)[.ownerAccountID] as? NSNumber
        #expect(cacheOwner?.uint32Value == user.uid)
    }

    @Test func gitBuildpackURLWithRefIsClonedAndCached() throws {
        let f = try BuildFixture(); defer { f.remove() }
        let src = try f.buildpack("gitpack", compile: "echo \"-----> gitpack $(cat \"$(dirname \"$0\")/../VERSION\")\"")
        try Data("v1\n".utf8).write(to: src.appendingPathComponent("VERSION"))
        func git(_ args: String...) throws {
            let env = ["PATH": BuildSandbox.path, "HOME": f.tmp.path, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"]
            let (out, status) = try ProcessRunner.capture(ProcessSpec("git", ["-C", src.path] + args, environment: env))
            try #require(status.succeeded, "git \(args): \(out)")
        }
        try git("init", "-q", "-b", "main"); try git("add", "-A"); try git("commit", "-q", "-m", "v1"); try git("tag", "v1")
        try Data("v2\n".utf8).write(to: src.appendingPathComponent("VERSION"))
        try git("commit", "-q", "-am", "v2")
        try f.writeApp(["Procfile": "web: true\n"])

        let url = "file://\(src.path)#v1"
        let (result, lines) = f.build(config: ["BUILDPACK_URL": url])
        #expect(try result.get().builder == "buildpack:file://\(src.path)#v1")
        #expect(lines.contains("-----> Fetching buildpack file://\(src.path)#v1"))
        #expect(lines.contains("-----> gitpack v1"))

        let (_, again) = f.build(config: ["BUILDPACK_URL": url])
        #expect(again.contains("       Using cached copy of file://\(src.path)"))
        #expect(again.contains("-----> gitpack v1"))

        let (_, main) = f.build(config: ["BUILDPACK_URL": "file://\(src.path)"])
        #expect(main.contains("-----> gitpack v2"))
    }
}

@Suite struct BuildUserAccessTests {
    @Test(.enabled(if: BuildFixture.buildUser != nil, "needs root"))
    func closedParentDirectoryIsReportedClearly() throws {
        let f = try BuildFixture(); defer { f.remove() }
        try f.writeApp(["Procfile": "web: true\n"])
        chmod(f.temp.url.path, 0o700)
        let error = try #require(f.build().result.rikerError)
        #expect(error.message == "the build user (uid 399990) cannot write \(f.app.path): let it through the parent directories (chmod o+x)")
    }
}
