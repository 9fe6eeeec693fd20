import Foundation
import RikerCore

/// What the pipeline reads from a checked-out or built app besides its artifact, to shape the
/// release: the Procfile's order of types (which type runs when there is no `web`) and app.json.
public enum BuiltAppFiles {
    /// The Procfile's process types in file order; empty without a Procfile or when it does not
    /// parse (the build has already failed on it then).
    public static func procfileOrder(in buildDir: URL) -> [String] {
        guard let text = try? ConfinedFile.read("Procfile", in: buildDir), let procfile = try? Procfile(parsing: text) else { return [] }
        return procfile.entries.map(\.type)
    }

    /// The app's `app.json`, nil without one. Throws `.buildFailed` with its one-line reason
    /// when it does not parse.
    public static func manifest(in buildDir: URL) throws -> AppManifest? {
        try AppManifestFile.load(from: buildDir)
    }
}
