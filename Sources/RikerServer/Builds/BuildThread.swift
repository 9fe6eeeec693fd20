import Foundation

/// A task executor with a thread of its own, for one build.
///
/// Builds block: the pipeline runs git, buildpacks and uploads with blocking calls. On Linux
/// Swift concurrency runs on as many threads as the machine has cores, the same threads
/// that answer HTTP; a build blocking them would hold back every webhook answer (GitHub
/// gives up after 10 s). A build's tasks prefer this executor instead, so its blocking work
/// happens on its own thread.
///
/// Jobs run one at a time, on one thread at a time, and always with
/// `runSynchronously(isolatedTo:taskExecutor:)`: a default actor called from the build runs
/// here too (SE-0417), and only that form keeps its isolation. The thread starts with the
/// first job and ends when `finish()` was called and nothing is left; work arriving later
/// (an actor the build used may still be scheduled here) starts it again, never is dropped.
final class BuildThread: TaskExecutor, SerialExecutor, @unchecked Sendable {
    private let name: String
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false
    private var running = false

    init(name: String) { self.name = name }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        if running {
            condition.signal()
            condition.unlock()
            return
        }
        running = true
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
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
                running = false
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
        }
    }
}
