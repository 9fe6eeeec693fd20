import ArgumentParser
import Foundation
import RikerCore
import RikerRelease

/// Options every `riker` verb takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Riker's state directory (default: $RIKER_ROOT, then /var/lib/riker).")
    var root: String?

    @Flag(name: .long, help: "Machine-readable JSON output.")
    var json = false

    var paths: RikerPaths { RikerPaths.resolve(root) }

    /// The server's store, after exporting riker.conf's environment (AWS settings).
    func openStore() throws -> any ReleaseStore {
        ServerConfig.applyEnvironment(paths)
        return try StoreLocator.open(paths: paths)
    }

    /// Checks the app (and environment) names, opens the store and checks the app exists:
    /// the preamble of every app verb.
    func openApp(_ app: String, env: String? = nil) async throws -> any ReleaseStore {
        try AppName.validate(app)
        if let env { try AppName.validate(env, kind: "environment") }
        let store = try openStore()
        guard try await store.app(app) != nil else { throw RikerError(.notFound, "app \(app) does not exist: see apps:list") }
        return store
    }

    /// Who is acting: the SSH key name when run over SSH, else the local user.
    var actor: String {
        let env = ProcessInfo.processInfo.environment
        if let key = env["RIKER_KEY_NAME"], !key.isEmpty { return key }
        return env["USER"] ?? "local"
    }
}

/// Runs a verb's body, turning any error into one line on stderr and exit code 1.
func reporting(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let e as ExitCode { throw e } catch let e as CleanExit { throw e } catch {
        FileHandle.standardError.write(Data(" !     \(error.userMessage)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints a value as sorted, pretty JSON.
func printJSON<T: Encodable>(_ value: T) throws {
    FileHandle.standardOutput.write(try JSONCoding.encode(value))
}

/// `riker --root DIR VERB …` → `riker VERB --root DIR …`, so global options may come first.
public func reorderGlobalOptions(_ args: [String]) -> [String] {
    var globals: [String] = []
    var rest = args
    while let first = rest.first {
        if first == "--root", rest.count >= 2 { globals += rest.prefix(2); rest.removeFirst(2) }
        else if first.hasPrefix("--root=") || first == "--json" { globals.append(first); rest.removeFirst() }
        else { break }
    }
    guard !globals.isEmpty, let verb = rest.first else { return args }
    if verb == "hook", rest.count >= 2 { return Array(rest.prefix(2)) + globals + rest.dropFirst(2) }
    return [verb] + globals + rest.dropFirst()
}
