import Foundation
import RikerCore
import RikerRelease

/// Doctor check of the release store: a local directory Riker can write, or an S3 bucket it can
/// list with the configured credentials.
enum StoreCheck {
    static func check(_ ctx: DoctorContext) async -> DoctorFinding {
        ServerConfig.applyEnvironment(ctx.paths)
        let store: any ReleaseStore
        do { store = try StoreLocator.open(paths: ctx.paths) } catch {
            return .problem("store", "\(error.userMessage): fix store= in \(ctx.paths.serverConfig.path)")
        }
        if let local = store as? LocalReleaseStore {
            return writable(local.directory)
        }
        do {
            let apps = try await store.listChildren(prefix: "apps/")
            return .ok("store", "\(store.url) reachable (\(apps.count) app\(apps.count == 1 ? "" : "s"))")
        } catch {
            return .problem("store", "\(store.url) is not reachable: \(error.userMessage): check the AWS settings in "
                + "\(ctx.paths.serverConfig.path) or the instance role")
        }
    }

    /// A local store (or, before the first release, the directory it will be made in) takes a file.
    static func writable(_ directory: URL) -> DoctorFinding {
        var dir = directory
        while !FileManager.default.fileExists(atPath: dir.path), dir.path != "/" { dir = dir.deletingLastPathComponent() }
        let probe = dir.appendingPathComponent(".doctor-\(UUID().uuidString.prefix(8))")
        let fd = open(probe.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            return .problem("store", "cannot write to \(dir.path): \(String(cString: strerror(errno))): it must belong to the root's owner")
        }
        close(fd)
        unlink(probe.path)
        return .ok("store", "file://\(directory.path)" + (dir == directory ? " writable" : " (made on the first release; \(dir.path) writable)"))
    }
}
