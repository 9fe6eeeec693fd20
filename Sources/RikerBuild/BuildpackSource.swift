import Foundation
import RikerCore
import RikerGit

/// Where a buildpack comes from: a built-in one, a local directory, or a git URL with an
/// optional `#ref` (branch or tag).
enum BuildpackSource: Equatable {
    case builtin(name: String, dir: URL)
    case directory(URL)
    case git(url: String, ref: String?)

    /// Parses one `BUILDPACK_URL` value or `.buildpacks` line. An absolute path is a local
    /// directory; `heroku/NAME` is Heroku's shorthand for its official buildpacks; anything
    /// else is a git URL.
    init(parsing raw: String) throws {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, !text.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw RikerError(.buildFailed, "invalid buildpack URL '\(text.prefix(80))'")
        }
        if text.hasPrefix("/") {
            self = .directory(URL(fileURLWithPath: text))
            return
        }
        var url = text, ref: String?
        if let hash = text.lastIndex(of: "#") {
            url = String(text[..<hash])
            ref = String(text[text.index(after: hash)...])
            if ref?.isEmpty == true { ref = nil }
        }
        if url.range(of: #"^heroku/[a-z0-9-]+$"#, options: .regularExpression) != nil {
            url = "https://github.com/heroku/heroku-buildpack-\(url.dropFirst("heroku/".count))"
        }
        self = .git(url: url, ref: ref)
    }

    /// How the builder is recorded in the release: `buildpack:python`, `buildpack:URL#ref`.
    var label: String {
        switch self {
        case .builtin(let name, _): return "buildpack:\(name)"
        case .directory(let dir): return "buildpack:\(dir.path)"
        case .git(let url, let ref): return "buildpack:\(url)" + (ref.map { "#\($0)" } ?? "")
        }
    }

    /// A short name for messages.
    var displayName: String { String(label.dropFirst("buildpack:".count)) }
}

/// Keeps buildpacks fetched by git URL in `root`, one directory per URL+ref.
///
/// A fetched copy is reused; after `refreshInterval` it is fetched again into a temp directory
/// and swapped in under a lock, so a concurrent build never sees a half-written clone, and a
/// failed refresh falls back to the copy already held.
struct BuildpackCache {
    var root: URL
    var refreshInterval: TimeInterval = 3600

    /// Copies the buildpack for `url`/`ref` into `destination` (fetching it first if needed).
    func copy(url: String, ref: String?, to destination: URL, output: Output) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let key = Self.key(url: url, ref: ref)
        let dir = root.appendingPathComponent(key)
        try FileLock.withLock(root.appendingPathComponent("\(key).lock")) {
            let fetchedAt = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(".riker-fetched").path))?[.modificationDate] as? Date
            if let fetchedAt, Date().timeIntervalSince(fetchedAt) < refreshInterval {
                output.detail("Using cached copy of \(url)")
            } else {
                do {
                    try fetch(url: url, ref: ref, into: dir)
                } catch {
                    guard fetchedAt != nil else {
                        throw RikerError(.buildFailed, "cannot fetch buildpack \(url)\(ref.map { "#\($0)" } ?? ""): \(error.userMessage)")
                    }
                    output.detail("Cannot refresh \(url) (\(error.userMessage)); using the cached copy")
                }
            }
            try copyTree(dir, to: destination)
        }
    }

    private func fetch(url: String, ref: String?, into dir: URL) throws {
        let fm = FileManager.default
        let fresh = root.appendingPathComponent(".fetch-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: fresh) }
        try GitRepository.clone(url: url, ref: ref, to: fresh)
        try? fm.removeItem(at: fresh.appendingPathComponent(".git"))
        fm.createFile(atPath: fresh.appendingPathComponent(".riker-fetched").path, contents: Data())
        let old = root.appendingPathComponent(".old-\(UUID().uuidString.prefix(8))")
        if fm.fileExists(atPath: dir.path) { try fm.moveItem(at: dir, to: old) }
        try fm.moveItem(at: fresh, to: dir)
        try? fm.removeItem(at: old)
    }

    /// A readable directory name, distinct per URL+ref: the URL's last component and a hash of URL+ref.
    static func key(url: String, ref: String?) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: a stable name, not a security boundary
        for byte in "\(url)#\(ref ?? "")".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let base = url.split(separator: "/").last.map(String.init)?.replacingOccurrences(of: ".git", with: "") ?? "buildpack"
        let safe = String(base.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" ? Character($0) : "_" }.prefix(40))
        return "\(safe)-\(String(hash, radix: 16))"
    }
}

/// Copies a directory tree with modes and symlinks (cp -a), replacing `destination`.
func copyTree(_ source: URL, to destination: URL) throws {
    try? FileManager.default.removeItem(at: destination)
    let spec = ProcessSpec("/bin/cp", ["-a", "--", source.path, destination.path], environment: ["PATH": BuildSandbox.path])
    let (out, status) = try ProcessRunner.capture(spec, timeout: 300)
    guard status.succeeded else {
        throw RikerError(.io, "cannot copy \(source.path) to \(destination.path): \(out.split(separator: "\n").first ?? "")")
    }
}
