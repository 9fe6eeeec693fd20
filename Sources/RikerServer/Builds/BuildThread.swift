import Foundation

/// A task executor with one thread of its own, for one build.
///
/// Builds block: the pipeline runs git, buildpacks and uploads with blocking calls. On Linux
/// Swift concurrency runs on as many threads as the machine has cores, the same threads
/// that answer HTTP; a build blocking them would hold back every webhook answer (GitHub
/// gives up after 10 s). A build's tasks prefer this executor instead, so its blocking work
/// happens on its own thread.
final class BuildThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the work enqueued so far has run.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
