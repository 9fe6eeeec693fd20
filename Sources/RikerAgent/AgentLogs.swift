import Foundation
import Logging
import RikerCore
import RikerLogs
import RikerRelease

/// The agent's side of app logs: the instance's one `LogStream` (every process's output and
/// Riker's own `riker[agent]` events), shipped to the store by a `LogShipper` and, while the
/// app env's `logs.drain` is set, forwarded by a `SyslogDrain`.
///
/// `run()` ships until cancelled (after the last process has stopped), then flushes once more.
/// `refreshDrain()` reads `logs.drain` (a conditional GET of `app.json`) and swaps the drain
/// when it changed; the agent calls it before each install and every `drainCheckInterval`.
actor AgentLogs {
    nonisolated let stream: LogStream
    nonisolated let shipper: LogShipper
    private let store: any ReleaseStore
    private let app: String
    private let env: String
    private let logger: Logger
    private let watcher: StoreWatcher
    private let drainOptions: SyslogDrainOptions
    private var drain: SyslogDrain?
    /// The `logs.drain` value in effect (nil: none), to act only when it changes.
    private var drainSetting: String?

    /// Seconds between reads of `logs.drain` while no install happens.
    static let drainCheckInterval: Double = 10

    init(store: any ReleaseStore, app: String, env: String, instance: String, logger: Logger,
         shipperOptions: LogShipperOptions = LogShipperOptions(), drainOptions: SyslogDrainOptions = SyslogDrainOptions()) {
        self.store = store; self.app = app; self.env = env; self.logger = logger; self.drainOptions = drainOptions
        stream = LogStream(instance: instance)
        shipper = LogShipper(store: store, app: app, env: env, instance: instance, options: shipperOptions, logger: logger)
        watcher = StoreWatcher(store: store)
        stream.add(shipper)
    }

    /// Ships every few seconds until cancelled, then ships what is left.
    nonisolated func run() async { await shipper.run() }

    /// Publishes one of Riker's events about the app (`riker[agent@INSTANCE]: text`).
    nonisolated func event(_ text: String) { stream.event(text) }

    /// Reads `logs.drain` and, when it changed, closes the old drain and starts the new one.
    /// A value that is not a drain URL is reported once (log and stream) and means no drain.
    func refreshDrain() async {
        let settings: AppSettings
        do {
            guard let snap = try await watcher.read(StoreLayout.app(app)) else { return }
            guard snap.changed || drainSetting == nil && drain == nil else { return }
            settings = try JSONCoding.decode(AppSettings.self, from: snap.data, what: "settings of \(app)")
        } catch {
            logger.warning("cannot read the log drain setting of \(app): \(error.userMessage)")
            return
        }
        let value = settings.value("logs.drain", env: env).flatMap { $0.isEmpty ? nil : $0 }
        guard value != drainSetting else { return }
        drainSetting = value
        if let old = drain {
            drain = nil
            stream.remove(old)
            await old.close()
            event("log drain \(old.url) removed")
        }
        let url: DrainURL?
        do { url = try DeploySettings.logDrain(settings, env: env) } catch {
            logger.warning("\(error.userMessage); no log drain until then")
            event("no log drain: \(error.userMessage)")
            return
        }
        guard let url else { return }
        do {
            let new = try SyslogDrain(url: url, app: app, hostname: stream.instance ?? app, options: drainOptions, logger: logger)
            new.start()
            stream.add(new)
            drain = new
            event("forwarding logs to \(url)")
        } catch {
            logger.warning("cannot use the log drain \(url): \(error.userMessage)")
            event("no log drain: \(error.userMessage)")
        }
    }

    /// Closes the drain (sending what it holds first, briefly). The shipper ends with `run()`.
    func closeDrain() async {
        guard let old = drain else { return }
        drain = nil
        stream.remove(old)
        await old.close()
    }

    /// What the drain has done (nil without one), for tests and diagnostics.
    var drainStats: SyslogDrain.Stats? { drain?.stats }
}
