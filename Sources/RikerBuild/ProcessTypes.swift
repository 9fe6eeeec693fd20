import Foundation
import RikerCore

/// The app's process types: its Procfile merged over the buildpacks' `default_process_types`.
enum ProcessTypes {
    /// Merges, prints Heroku's "Discovering process types" step, and returns the result.
    /// A Procfile that does not parse fails the build with its own message.
    static func discover(buildDir: URL, defaults: [String: String], output: Output) throws -> [String: String] {
        var declared: [String: String]?
        if let text = try ConfinedFile.read("Procfile", in: buildDir) {
            do { declared = try Procfile(parsing: text).dictionary } catch {
                throw RikerError(.buildFailed, error.userMessage)
            }
        }
        output.step("Discovering process types")
        let procfileTypes = declared.map { $0.keys.sorted().joined(separator: ", ") }
        if defaults.isEmpty {
            output.detail("Procfile declares types -> \(procfileTypes.flatMap { $0.isEmpty ? nil : $0 } ?? "(none)")")
        } else {
            output.detail("Procfile declares types     -> \(procfileTypes.flatMap { $0.isEmpty ? nil : $0 } ?? "(none)")")
            output.detail("Default types for buildpack -> \(defaults.keys.sorted().joined(separator: ", "))")
        }
        return defaults.merging(declared ?? [:]) { _, procfile in procfile }
    }
}
