import Foundation
import RikerCore

/// The result of running a command in a test.
public struct CommandResult: CustomStringConvertible {
    public var output: String
    public var status: ExitStatus
    public var succeeded: Bool { status.succeeded }
    public var description: String { "\(status): \(output)" }
}

/// Runs a program to completion (combined stdout+stderr), for tests.
@discardableResult
public func sh(_ program: String, _ args: [String], cwd: URL? = nil, env: [String: String] = [:], stdin: String? = nil, timeout: Double = 600) throws -> CommandResult {
    var environment = ProcessInfo.processInfo.environment
    environment.merge(env) { _, b in b }
    var spec = ProcessSpec(program, args, environment: environment, workingDirectory: cwd)
    var inputFile: URL?
    if let stdin {
        let f = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("stdin-\(UUID().uuidString)")
        try Data(stdin.utf8).write(to: f)
        inputFile = f
    }
    let fd = inputFile.map { open($0.path, O_RDONLY) } ?? -1
    defer { if fd >= 0 { close(fd) }; if let inputFile { try? FileManager.default.removeItem(at: inputFile) } }
    if fd >= 0 { spec.stdin = .fd(fd) }
    let (out, status) = try ProcessRunner.capture(spec, timeout: timeout)
    return CommandResult(output: out, status: status)
}

/// The Riker package checkout these tests belong to.
public func packageRoot(_ file: String = #filePath) -> URL {
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
        dir = dir.deletingLastPathComponent()
    }
    fatalError("no Package.swift above \(file)")
}

/// Where `swift build` put the executables (the test binary sits beside them).
public var productsDir: URL {
    if let env = ProcessInfo.processInfo.environment["RIKER_BIN_DIR"], !env.isEmpty { return URL(fileURLWithPath: env) }
    var dir = Installation.binDir
    // The test runner can be inside a bundle directory (…/debug/X.xctest/…): walk up to `riker`.
    while dir.path != "/" {
        if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("riker").path) { return dir }
        dir = dir.deletingLastPathComponent()
    }
    return Installation.binDir
}
