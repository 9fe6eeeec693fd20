import ArgumentParser
import Foundation
import RikerCore

/// `riker`: the server and admin command line.
public struct RikerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riker",
        abstract: "Git-push build and deploy server.",
        subcommands: [
            KeysAdd.self, KeysRemove.self, KeysList.self,
            AppsCreate.self, AppsList.self, AppsInfo.self, AppsDestroy.self, AppsSet.self,
            ConfigShow.self, ConfigSet.self, ConfigUnset.self,
            ReleasesList.self, Rollback.self, DeployRef.self, Promote.self, Ps.self, PsScale.self,
            Logs.self, DeploysList.self, DeploysInfo.self,
            Serve.self, SSHCommandVerb.self, Hook.self, SlugPack.self, SlugUnpack.self, S3CopyCommand.self,
            KeysSync.self, Doctor.self,
        ]
    )
    public init() {}

    /// Entry point used by the executable: logging, global option order, then the verb.
    public static func start() async {
        RikerLogging.bootstrap()
        let args = reorderGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(args)
            if var async = command as? AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }
}
