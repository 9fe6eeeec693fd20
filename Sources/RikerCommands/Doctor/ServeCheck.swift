import Foundation
import RikerCore

/// Doctor check that `riker serve` runs for this root (it keeps local apps up).
enum ServeCheck {
    static func check(_ ctx: DoctorContext) -> DoctorFinding {
        let fix = "systemctl enable --now riker-serve (script/install writes the unit)"
        guard let data = try? AtomicFile.read(ctx.paths.servePID),
              let pid = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            return .problem("serve", "riker serve is not running for \(ctx.paths.root.path): \(fix)")
        }
        // The pid file outlives a crash, and its pid may be reused: the process must be a riker serve.
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let words = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard words.contains("serve"), words.first.map({ $0.hasSuffix("riker") }) == true else {
            return .problem("serve", "riker serve is not running for \(ctx.paths.root.path) (stale pid \(pid)): \(fix)")
        }
        return .ok("serve", "riker serve is running (pid \(pid))")
    }
}
