import ArgumentParser
import Foundation
import RikerCore
import RikerRelease

/// `riker doctor`: checks this installation and says what to fix, one line per check; exits 1
/// when any check found a problem (warnings alone exit 0).
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: Verb.doctor.name,
        abstract: "Check the install: binaries, resources, the root's owner and permissions, sshd, build tools, the store, serve.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("sshd-config"), help: "The sshd configuration to check.") var sshdConfig = "/etc/ssh/sshd_config"

    func run() async throws {
        let ctx = DoctorContext(paths: global.paths, sshdConfig: URL(fileURLWithPath: sshdConfig))
        let report = DoctorReport(await Self.findings(ctx))
        if global.json {
            try printJSON(report)
        } else {
            for finding in report.checks { print(finding.line) }
        }
        if !report.ok { throw ExitCode(1) }
    }

    /// Every check, in the order a fix is best made.
    static func findings(_ ctx: DoctorContext) async -> [DoctorFinding] {
        var found = [InstallChecks.binaries(ctx), InstallChecks.resources(ctx)]
        let root = RootChecks.root(ctx)
        found.append(root)
        if root.status != .problem {
            found.append(RootChecks.user(ctx))
            let localStore = (try? StoreLocator.open(paths: ctx.paths)) is LocalReleaseStore
            found += RootChecks.permissions(ctx, localStore: localStore)
            if FileManager.default.fileExists(atPath: ctx.paths.authorizedKeys.path) { found.append(ForcedCommandCheck.check(ctx)) }
            found.append(SSHDCheck.check(ctx))
        }
        found += InstallChecks.tools()
        if root.status != .problem {
            found.append(await StoreCheck.check(ctx))
        }
        found.append(ServeCheck.check(ctx))
        return found
    }
}
