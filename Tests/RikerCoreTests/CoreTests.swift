import Foundation
import RikerTestSupport
import Testing
@testable import RikerCore

@Suite struct AppNameTests {
    @Test(arguments: ["a", "web", "my-app-2", String(repeating: "a", count: 63)])
    func acceptsValidNames(name: String) { #expect(AppName.isValid(name)) }

    @Test(arguments: ["", "A", "1app", "-x", "a_b", "a.b", "a/b", "../x", "a;id", "ä", String(repeating: "a", count: 64)])
    func refusesInvalidNames(name: String) { #expect(!AppName.isValid(name)) }
}

@Suite struct EnvFileTests {
    @Test func roundTripsAnyValue() throws {
        let vars = ["A": "plain", "B": "with \"quotes\" and\nnewline", "C": "=x=", "EMPTY": ""]
        #expect(try EnvFile.decode(EnvFile.encode(vars)) == vars)
    }

    @Test func refusesBadKeys() {
        #expect(throws: RikerError.self) { try EnvFile.parseAssignments(["1A=x"]) }
        #expect(throws: RikerError.self) { try EnvFile.parseAssignments(["A B=x"]) }
        #expect(throws: RikerError.self) { try EnvFile.parseAssignments(["noequals"]) }
    }
}

@Suite struct ProcfileTests {
    @Test func parsesTypesInOrder() throws {
        let p = try Procfile(parsing: "# c\nweb: gunicorn app:app\n\nworker:python w.py --x=1\n")
        #expect(p.entries.map(\.type) == ["web", "worker"])
        #expect(p.dictionary["worker"] == "python w.py --x=1")
    }

    @Test func refusesLinesWithoutType() {
        #expect(throws: RikerError.self) { try Procfile(parsing: "gunicorn app\n") }
    }
}

@Suite struct AtomicFileTests {
    @Test func createIfAbsentClaimsOnce() throws {
        let dir = try TempDir(); defer { dir.remove() }
        let f = dir.path("x/claim")
        #expect(try AtomicFile.createIfAbsent(Data("1".utf8), at: f))
        #expect(try !AtomicFile.createIfAbsent(Data("2".utf8), at: f))
        #expect(try AtomicFile.read(f) == Data("1".utf8))
    }

    @Test func readAnswersNilForAMissingFileTheWholeContentForABigOneAndFailsOnADirectory() throws {
        let dir = try TempDir(); defer { dir.remove() }
        #expect(try AtomicFile.read(dir.path("absent")) == nil)
        #expect(try AtomicFile.read(dir.path("absent/below")) == nil)
        let big = Data((0..<300_000).map { UInt8($0 % 251) })
        try AtomicFile.write(big, to: dir.path("big"))
        #expect(try AtomicFile.read(dir.path("big")) == big)
        #expect(throws: RikerError.self) { try AtomicFile.read(dir.url) }
    }

    /// A file that appears and disappears while it is read is either read or absent, never an
    /// error (an agent writing its first status while a deployer polls for it).
    @Test func aFileCreatedAndRemovedDuringReadsIsNeverAnError() async throws {
        let dir = try TempDir(); defer { dir.remove() }
        let f = dir.path("status")
        let writer = Task.detached {
            while !Task.isCancelled {
                try? AtomicFile.write(Data("x".utf8), to: f)
                unlink(f.path)
            }
        }
        defer { writer.cancel() }
        var seen = (some: 0, none: 0)
        for _ in 0..<20_000 {
            if try AtomicFile.read(f) == nil { seen.none += 1 } else { seen.some += 1 }
        }
        #expect(seen.some + seen.none == 20_000)
    }
}

@Suite struct ProcessRunnerTests {
    @Test func streamsLinesAndReportsExitCode() throws {
        var lines: [String] = []
        let r = try ProcessRunner.run(ProcessSpec("bash", ["-c", "echo one; echo two >&2; exit 3"])) { lines.append($0) }
        #expect(lines == ["one", "two"])
        #expect(r.status.code == 3)
    }

    /// 20 MB on one line: passed on in 16 KiB pieces as it arrives (a build printing a huge
    /// line once made the runner rescan everything it held for every chunk read).
    @Test func aHugeLineComesInBoundedPiecesWithNothingLost() throws {
        var pieces = 0, total = 0, longest = 0
        let r = try ProcessRunner.run(ProcessSpec("bash", ["-c", "head -c 20000000 /dev/zero | tr '\\0' a; echo; echo after"])) { line in
            pieces += 1; total += line.utf8.count; longest = max(longest, line.utf8.count)
        }
        #expect(r.status.succeeded)
        #expect(total == 20_000_000 + "after".count)
        #expect(longest == ProcessRunner.maxLine)
        #expect(pieces == 20_000_000 / ProcessRunner.maxLine + 2)
    }

    @Test func timeoutKillsTheWholeGroup() throws {
        let start = Date()
        let r = try ProcessRunner.run(ProcessSpec("bash", ["-c", "sleep 100 & sleep 100"]), timeout: 0.5) { _ in }
        #expect(r.timedOut)
        #expect(Date().timeIntervalSince(start) < 10)
    }
}

@Suite struct OutputMaskTests {
    @Test func maskedValuesNeverReachTheTeeButShortOnesAreLeftAlone() throws {
        let dir = try TempDir("riker-output")
        defer { dir.remove() }
        let file = dir.path("log")
        let output = Output.null
        output.tee(to: file)
        output.line("before: hunter2-secret")
        output.mask(["hunter2-secret", "abc", "hunter2-secret-longer"])
        output.line("token hunter2-secret and hunter2-secret-longer, abc")
        output.endTee()
        output.line("after the tee: nothing more")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == "before: hunter2-secret\ntoken [masked] and [masked], abc\n")
        #expect(output.masking("x=hunter2-secret-longer y=abc") == "x=[masked] y=abc")
    }
}
