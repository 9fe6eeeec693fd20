import Foundation
import RikerCore
import RikerRelease

/// The record and the log of one build started by an SSH push or `deploy APP REF` (webhook
/// builds keep theirs in the build queue): `builds/APP/ID.json` says who started what and
/// how it ended; `builds/APP/ID.log` is everything the pusher saw (config values masked),
/// stored every `uploadInterval` seconds while the build runs, so `builds:output` can follow
/// it and a pusher whose connection dropped can read the rest.
public struct BuildJournal: Sendable {
    public let store: any ReleaseStore
    public let paths: RikerPaths
    public var uploadInterval: Duration = .seconds(2)

    public init(store: any ReleaseStore, paths: RikerPaths) { self.store = store; self.paths = paths }

    /// Runs `body` (the pipeline) as the build `record`, teeing `output` to its log. Never
    /// fails because the journal could not be written: the build matters more.
    public func record(_ record: BuildRecord, output: Output, _ body: () async throws -> Release) async throws -> Release {
        let records = BuildRecords(store: store)
        var record = record
        let dir = paths.tmpDir.appendingPathComponent("build-logs")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = dir.appendingPathComponent("\(record.id).log")
        output.tee(to: file)
        try? await records.save(record)
        output.detail("Build \(record.id): riker builds:output \(record.app) \(record.id)")
        let key = StoreLayout.buildLog(record.app, record.id)
        let uploader = GrowingFileUpload(store: store, key: key, file: file, interval: uploadInterval)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            let release = try await body()
            record.status = .succeeded
            record.release = release.name
            record.builder = release.builder
            await finish(record, output: output, uploader: uploader)
            return release
        } catch {
            record.status = .failed
            record.error = String(output.masking(error.userMessage).prefix(1000))
            await finish(record, output: output, uploader: uploader)
            throw error
        }
    }

    /// The log is stored before the record says the build is over, so a finished build's log is complete.
    private func finish(_ record: BuildRecord, output: Output, uploader: GrowingFileUpload) async {
        output.endTee()
        await uploader.finish()
        var record = record
        record.finishedAt = Date()
        try? await BuildRecords(store: store).save(record)
    }

    /// Hands `write` what the build's stored log gains (it is stored every few seconds while the
    /// build runs) until its record says it is over, then the rest; returns the final record.
    public static func follow(store: any ReleaseStore, app: String, id: String, poll: Duration = .seconds(1),
                              write: (Data) -> Void) async throws -> BuildRecord {
        let records = BuildRecords(store: store)
        guard var record = try await records.get(app: app, id: id) else {
            throw RikerError(.notFound, "no build \(id) of \(app): see 'builds \(app)'")
        }
        var printed = 0
        let key = StoreLayout.buildLog(app, id)
        while true {
            let finished = record.isFinished
            if let data = try await store.get(key)?.data, data.count > printed {
                write(data.subdata(in: printed..<data.count))
                printed = data.count
            }
            if finished { return record }
            try await Task.sleep(for: poll)
            record = try await records.get(app: app, id: id) ?? record
        }
    }
}
