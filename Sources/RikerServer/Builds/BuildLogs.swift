import Foundation
import RikerCore
import RikerRelease

/// Where build logs go. The scheduler opens one `Output` per build and hands it to the
/// runner; `finish` is called when the build is over.
public protocol BuildLogs: Sendable {
    func open(_ build: BuildRecord) -> Output
    func finish(_ build: BuildRecord, output: Output) async
}

/// Logs written to a local file while the build runs, stored at `builds/APP/ID.log` every
/// `interval` (so the page and `builds:output` follow a running build) and once more, complete,
/// when it is over.
public final class StoreBuildLogs: BuildLogs, @unchecked Sendable {
    public let store: any ReleaseStore
    public let directory: URL
    let interval: Duration
    private let lock = NSLock()
    private var uploads: [String: GrowingFileUpload] = [:]

    public init(store: any ReleaseStore, directory: URL, interval: Duration = .seconds(2)) {
        self.store = store; self.directory = directory; self.interval = interval
    }

    func file(_ build: BuildRecord) -> URL { directory.appendingPathComponent("\(build.id).log") }

    public func open(_ build: BuildRecord) -> Output {
        let output = Output.null
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        output.tee(to: file(build))
        let upload = GrowingFileUpload(store: store, key: StoreLayout.buildLog(build.app, build.id), file: file(build), interval: interval)
        lock.withLock { uploads[build.id] = upload }
        return output
    }

    public func finish(_ build: BuildRecord, output: Output) async {
        output.endTee()
        let f = file(build)
        if let upload = lock.withLock({ uploads.removeValue(forKey: build.id) }) {
            await upload.finish()
        } else {
            try? await store.upload(StoreLayout.buildLog(build.app, build.id), from: f, tags: [:])
        }
        try? FileManager.default.removeItem(at: f)
    }
}
