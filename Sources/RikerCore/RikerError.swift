import Foundation

/// The one error type Riker shows to people: a code to branch on, and a message a user can act on.
///
/// `message` is a single line that says what failed and, where it helps, what to do about it.
/// It never carries secrets (config values, keys) and never a stack trace.
public struct RikerError: Error, CustomStringConvertible, Equatable, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidInput = Code(rawValue: "invalid-input")
        public static let notFound = Code(rawValue: "not-found")
        public static let alreadyExists = Code(rawValue: "already-exists")
        public static let permissionDenied = Code(rawValue: "permission-denied")
        public static let conflict = Code(rawValue: "conflict")
        public static let preconditionFailed = Code(rawValue: "precondition-failed")
        public static let buildFailed = Code(rawValue: "build-failed")
        public static let deployFailed = Code(rawValue: "deploy-failed")
        public static let timeout = Code(rawValue: "timeout")
        public static let io = Code(rawValue: "io")
        public static let git = Code(rawValue: "git")
        public static let archive = Code(rawValue: "archive")
        public static let http = Code(rawValue: "http")
        public static let store = Code(rawValue: "store")
        public static let process = Code(rawValue: "process")
        public static let locked = Code(rawValue: "locked")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// An I/O error from a failed libc call, with `errno`'s text and the path involved.
    public static func posix(_ what: String, path: String, errno err: Int32 = errno) -> RikerError {
        RikerError(.io, "\(what) \(path): \(String(cString: strerror(err)))")
    }
}

extension Error {
    /// The one line to show a user for any error: a `RikerError`'s message, or the error's own text.
    public var userMessage: String {
        if let e = self as? RikerError { return e.message }
        if let e = self as? LocalizedError, let d = e.errorDescription { return d }
        return String(describing: self)
    }
}
