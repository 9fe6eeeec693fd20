import Foundation
import Logging

/// Process-wide logging to stderr, set up once by each executable's entry point.
public enum RikerLogging {
    private static let once: Void = {
        let level = ProcessInfo.processInfo.environment["RIKER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }()

    public static func bootstrap() { _ = once }

    public static func logger(_ label: String) -> Logger { Logger(label: "riker.\(label)") }
}
