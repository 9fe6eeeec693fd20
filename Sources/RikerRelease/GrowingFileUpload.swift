import Foundation

/// A local file that grows while something runs (a build's log), stored at `key` every
/// `interval` so readers can follow it, and once more, complete, by `finish`.
public final class GrowingFileUpload: Sendable {
    let store: any ReleaseStore
    let key: String
    let file: URL
    private let task: Task<Void, Never>

    public init(store: any ReleaseStore, key: String, file: URL, interval: Duration) {
        self.store = store; self.key = key; self.file = file
        task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                try? await store.upload(key, from: file, tags: [:])
            }
        }
    }

    /// Stops the periodic uploads (waiting for one under way) and stores the file as it is now,
    /// so the stored copy is complete and no late periodic upload can overwrite it.
    public func finish() async {
        task.cancel()
        await task.value
        try? await store.upload(key, from: file, tags: [:])
    }
}
