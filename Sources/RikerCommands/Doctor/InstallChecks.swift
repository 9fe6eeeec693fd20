import Foundation
import RikerCore

/// Doctor checks of the installation itself: binaries, resources, the tools builds need.
enum InstallChecks {
    static func binaries(_ ctx: DoctorContext) -> DoctorFinding {
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: ctx.agentBinary.path) else {
            return .problem("binaries", "no riker-agent beside \(ctx.rikerBinary.path): install both side by side (script/install)")
        }
        return .ok("binaries", "\(ctx.rikerBinary.path) and \(ctx.agentBinary.lastPathComponent)")
    }

    static func resources(_ ctx: DoctorContext) -> DoctorFinding {
        let fm = FileManager.default
        let dir = ctx.resourceDir
        let fix = "run script/install, or set RIKER_HOME to a Riker checkout"
        for hook in ["pre-receive", "post-receive"] where !fm.isExecutableFile(atPath: dir.appendingPathComponent("hooks/\(hook)").path) {
            return .problem("resources", "no executable hooks/\(hook) in \(dir.path): \(fix)")
        }
        let buildpacks = dir.appendingPathComponent("buildpacks")
        let names = ((try? fm.contentsOfDirectory(atPath: buildpacks.path)) ?? []).sorted()
            .filter { fm.isExecutableFile(atPath: buildpacks.appendingPathComponent("\($0)/bin/detect").path) }
        guard !names.isEmpty else { return .problem("resources", "no buildpacks in \(buildpacks.path): \(fix)") }
        return .ok("resources", "\(dir.path): hooks, buildpacks \(names.joined(separator: ", "))")
    }

    /// git for pushes, setpriv and unshare for build isolation (problems); podman (a warning).
    static func tools() -> [DoctorFinding] {
        var found: [DoctorFinding] = []
        let required: [(String, String, String)] = [
            ("git", "git-receive-pack", "pushes need it: apt-get install git"),
            ("setpriv", "setpriv", "builds cannot drop to their own user: apt-get install util-linux"),
            ("unshare", "unshare", "builds cannot be isolated: apt-get install util-linux"),
        ]
        for (check, tool, why) in required {
            if let path = DoctorContext.tool(tool) { found.append(.ok(check, path)) } else { found.append(.problem(check, "\(tool) not found: \(why)")) }
        }
        if let podman = DoctorContext.tool("podman") {
            found.append(.ok("podman", podman))
        } else {
            found.append(.warning("podman", "podman not found: Dockerfile apps cannot build; apt-get install podman runc catatonit"))
        }
        return found
    }
}
