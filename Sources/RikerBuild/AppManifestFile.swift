import Foundation
import RikerCore

/// Reads the pushed app's `app.json`, if it has one.
enum AppManifestFile {
    /// The manifest in `buildDir/app.json`, nil when there is none. A symlink out of the app is
    /// refused (`ConfinedFile`); a file that does not parse fails the build with its one-line reason.
    static func load(from buildDir: URL) throws -> AppManifest? {
        guard let text = try ConfinedFile.read("app.json", in: buildDir) else { return nil }
        do {
            return try AppManifest(parsing: Data(text.utf8))
        } catch {
            throw RikerError(.buildFailed, error.userMessage)
        }
    }
}
