import Foundation
import RikerCore

/// Which top-level paths of a built app dir become dependencies layers of its slug, each a layer
/// of its own; everything else is the app layer.
///
/// A buildpack (or the app) lists them in `.riker/layers`, one a line: a top-level file or
/// directory name, optionally followed by a fingerprint, an opaque token the buildpack promises
/// changes whenever it installs that path anew (the python buildpack gives the id of its
/// package cache). `#` starts a comment. Without the file, or for names it does not list, the
/// directories buildpacks conventionally install into (`knownNames`) are layers without a
/// fingerprint. The file itself never reaches the slug.
///
/// A fingerprinted layer whose files show the same metadata as when it was last packed is not
/// packed again (see `SlugWorkspace`); any other layer is packed, and its digest decides whether
/// it is uploaded.
public struct SlugLayerPlan: Sendable, Equatable {
    /// One dependencies layer: a top-level name and the fingerprint buildpacks gave it.
    public struct Layer: Sendable, Equatable {
        public var name: String
        public var fingerprint: String?
        public init(name: String, fingerprint: String? = nil) { self.name = name; self.fingerprint = fingerprint }
    }

    /// Where buildpacks list their layers, relative to the build dir.
    public static let file = ".riker/layers"
    /// Layers without being listed, when present: what buildpacks install into by convention.
    public static let knownNames = [".heroku", ".apt", "node_modules", "vendor"]
    static let maxFingerprint = 256

    /// The dependencies layers, sorted by name.
    public var dependencies: [Layer]

    public init(dependencies: [Layer]) { self.dependencies = dependencies.sorted { $0.name < $1.name } }

    /// The plan for a build dir whose top-level names are `present`: what `.riker/layers` lists
    /// (names that are absent are dropped) plus the known names it does not. Throws
    /// `.buildFailed` naming the line of a malformed file.
    public static func read(buildDir: URL, present: Set<String>) throws -> SlugLayerPlan {
        // Read only from a real `.riker` directory: through a symlink it could be any file of the server's.
        var st = stat()
        let riker = buildDir.appendingPathComponent(".riker")
        let isDirectory = lstat(riker.path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
        let listed = try (isDirectory ? ConfinedFile.read("layers", in: riker, limit: 64 << 10) : nil).map(parse) ?? []
        var byName: [String: Layer] = [:]
        for layer in listed where present.contains(layer.name) {
            if let known = byName[layer.name] {
                // Several buildpacks may list one path: each vouches for it, so all their tokens count.
                let tokens = [known.fingerprint, layer.fingerprint].compactMap { $0 }
                byName[layer.name] = Layer(name: layer.name, fingerprint: tokens.isEmpty ? nil : tokens.joined(separator: " "))
            } else {
                byName[layer.name] = layer
            }
        }
        for name in knownNames where present.contains(name) && byName[name] == nil { byName[name] = Layer(name: name) }
        return SlugLayerPlan(dependencies: Array(byName.values))
    }

    /// The layers `.riker/layers` lists, in order.
    static func parse(_ text: String) throws -> [Layer] {
        var layers: [Layer] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func refuse(_ why: String) -> RikerError {
                RikerError(.buildFailed, "\(file) line \(index + 1): \(why): list one top-level file or directory a line, "
                    + "optionally followed by a fingerprint (see buildpacks/README.md)")
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count <= 2 else { throw refuse("expected a name and at most one fingerprint, found \(fields.count) fields") }
            let name = fields[0]
            guard !name.contains("/"), name != ".", name != "..", name != ".git", name.utf8.count <= 255 else {
                throw refuse("'\(name.prefix(80))' is not a top-level name")
            }
            let fingerprint = fields.count == 2 ? fields[1] : nil
            if let fingerprint {
                guard fingerprint.utf8.count <= maxFingerprint, fingerprint.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) else {
                    throw refuse("the fingerprint must be printable ASCII of at most \(maxFingerprint) characters")
                }
            }
            layers.append(Layer(name: name, fingerprint: fingerprint))
        }
        return layers
    }
}
