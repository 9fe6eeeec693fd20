import Foundation
import RikerCore
import RikerRelease

/// Where build logs go. The scheduler opens one `Output` per build and hands it to the
/// runner; `finish` is called when the build is over. (Streaming a running build's log to
/// `GET /builds/ID` plugs in here.)
public protocol BuildLogs: Sendable {
    func open(_ build: BuildRecord) -> Output
    func finish(_ build: BuildRecord, output: Output) async
}

/// Logs written to a local file while the build runs, then stored at `builds/APP/ID.log`.
public struct StoreBuildLogs: BuildLogs {
    public let store: any ReleaseStore
    public let directory: URL

    public init(store: any ReleaseStore, directory: URL) { self.store = store; self.directory = directory }

    func file(_ build: BuildRecord) -> URL { directory.appendingPathComponent("\(build.id).log") }

    public func open(_ build: BuildRecord) -> Output {
        let output = Output.null
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        output.tee(to: file(build))
        return output
    }

    public func finish(_ build: BuildRecord, output: Output) async {
        let f = file(build)
        try? await store.upload(StoreLayout.buildLog(build.app, build.id), from: f, tags: [:])
        try? FileManager.default.removeItem(at: f)
    }
}
