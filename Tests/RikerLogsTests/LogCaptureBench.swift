import Foundation
import RikerCore
import RikerRelease
import RikerTestSupport
import Testing
@testable import RikerLogs

/// Not a test: the figures behind bench/logs.sh, run only when RIKER_BENCH is set.
///
/// An app writes numbered 70-byte lines, one write(2) per line (an unbuffered app), with its
/// output either to /dev/null or through a `ProcessLogCapture` feeding a `LogShipper` (local
/// store, 2 s chunks) and the local file. Runs alternate, so both see the same machine.
/// - paced: the app aims at RATE lines/s for SECONDS; the figure is the lines it managed.
/// - flood: the app writes as fast as it can for SECONDS.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["RIKER_BENCH"] != nil))
struct LogCaptureBench {
    static let app = #"""
import os, sys, time
rate, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
pad = "x" * 60
start = time.monotonic(); n = 0
while True:
    now = time.monotonic() - start
    if now >= secs: break
    target = int(now * rate) + 1 if rate > 0 else n + 1000
    while n < target:
        os.write(1, b"%08d %s\n" % (n, pad.encode())); n += 1
    if rate > 0: time.sleep(0.0005)
open(out, "w").write(str(n))
"""#

    struct Run { var lines: Int; var cpu: Double; var requests: Int }

    private func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    private func run(rate: Int, seconds: Double, captured: Bool, dir: TempDir) async throws -> Run {
        let script = dir.path("app.py"), count = dir.path("count")
        try Data(Self.app.utf8).write(to: script)
        var spec = ProcessSpec("/usr/bin/python3", [script.path, String(rate), String(seconds), count.path], environment: ["PATH": "/usr/bin:/bin"])
        let store = LocalReleaseStore(directory: dir.path("store-\(UUID().uuidString.prefix(6))"))
        let shipper = LogShipper(store: store, app: "bench", env: "production", instance: "i-1")
        let stream = LogStream(instance: "i-1")
        stream.add(shipper)
        var capture: ProcessLogCapture?
        var devnull: Int32 = -1
        if captured {
            capture = try ProcessLogCapture(process: "web.1", instance: "i-1", file: dir.path("logs/web.log"), stream: stream)
            capture!.attach(to: &spec)
        } else {
            devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
            spec.stdout = .fd(devnull); spec.stderr = .fd(devnull)
        }
        let shipping = Task { await shipper.run() }
        let cpu0 = cpuSeconds()
        let child = try ChildProcess.spawn(spec)
        if devnull >= 0 { close(devnull) }
        let status = await Task.detached { child.wait() }.value
        capture?.close()
        shipping.cancel()
        await shipping.value
        let cpu = cpuSeconds() - cpu0
        #expect(status.succeeded)
        let lines = Int(try String(contentsOf: count, encoding: .utf8)) ?? 0
        if captured {
            #expect(capture!.counts.lines == lines)
            #expect(shipper.stats.shippedLines + shipper.stats.droppedLines == lines)
            print("BENCH   captured run, shipper: \(shipper.stats)")
        }
        return Run(lines: lines, cpu: cpu, requests: shipper.stats.requests)
    }

    @Test func captureCostsAnAppLittleThroughput() async throws {
        let env = ProcessInfo.processInfo.environment
        let seconds = Double(env["RIKER_BENCH_SECONDS"] ?? "") ?? 10
        let rounds = Int(env["RIKER_BENCH_ROUNDS"] ?? "") ?? 2
        let dir = try TempDir("log-bench"); defer { dir.remove() }
        for (label, rate) in [("paced 10000/s", 10_000), ("flood", 0)] {
            var null: [Run] = [], cap: [Run] = []
            for _ in 0..<rounds {
                null.append(try await run(rate: rate, seconds: seconds, captured: false, dir: dir))
                cap.append(try await run(rate: rate, seconds: seconds, captured: true, dir: dir))
            }
            let nullLines = null.map(\.lines).reduce(0, +), capLines = cap.map(\.lines).reduce(0, +)
            let line = String(format: "%@: /dev/null %.0f lines/s, captured+shipped %.0f lines/s, ratio %.3f; agent-side CPU %.2f s per %.0f s; store requests/min %.1f",
                              label, Double(nullLines) / (seconds * Double(rounds)), Double(capLines) / (seconds * Double(rounds)),
                              Double(capLines) / Double(max(1, nullLines)), cap.map(\.cpu).reduce(0, +) / Double(rounds), seconds,
                              Double(cap.map(\.requests).reduce(0, +)) / (seconds * Double(rounds) / 60))
            print("BENCH " + line)
        }
    }
}
