import Foundation
import Logging
import RikerArchive
import RikerCore
import RikerRelease

/// Gets a release onto disk: download the slug into the cache, verify its SHA-256, unpack it
/// into `releases/vN`; for a layered slug, fetch only the layers not cached and assemble
/// `releases/vN` from them (`installLayers`). Reuses what an earlier run left intact; prunes
/// old releases and the cached slugs and layers no kept release needs.
struct ReleaseInstaller: Sendable {
    let store: any ReleaseStore
    let paths: AgentDirectory
    let logger: Logger

    /// Name of the file, inside an unpacked release dir, holding the slug's SHA-256. It is written
    /// last, before the dir is renamed into place, so its presence means the unpack completed.
    static let marker = ".riker-slug"

    /// Returns `releases/vN`, unpacked and intact, owned by `user` (0700) when one is given:
    /// the app may write its own files, no other app may read them.
    func install(_ release: Release, for user: AppUser? = nil) async throws -> URL {
        let sha = release.sha256.lowercased()
        guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else {
            throw RikerError(.invalidInput, "\(release.name) of \(release.app) has no valid sha256 ('\(release.sha256.prefix(70))')")
        }
        let dir = paths.release(release.version)
        if Self.unpackedSlug(in: dir) == sha, user.map({ Self.isOwned(dir, by: $0) }) ?? true {
            logger.info("reusing unpacked \(release.name)")
            return dir
        }
        if let layers = release.layers { return try await installLayers(release, layers, sha: sha, dir: dir, user: user) }
        let slug = try await fetch(release, sha: sha)

        try FileManager.default.createDirectory(at: paths.releases, withIntermediateDirectories: true)
        let staging = paths.releases.appendingPathComponent(".\(release.name)-\(UUID().uuidString.prefix(8))")
        do {
            // No more than the release says its slug unpacks to: a slug cannot fill the disk.
            let cap = release.unpackedSize ?? SlugLimits.defaultMaxBytes
            do { try await Blocking.run { try SlugArchive.unpack(slug, into: staging, maxBytes: cap) } } catch {
                throw RikerError(.deployFailed, "cannot unpack the slug of \(release.name) (\(release.artifact)): \(error.userMessage)")
            }
            try AtomicFile.write(Data((sha + "\n").utf8), to: staging.appendingPathComponent(Self.marker))
            if let user { try await Blocking.run { try user.own(staging, mode: 0o700) } }
            if FileManager.default.fileExists(atPath: dir.path) { try FileManager.default.removeItem(at: dir) }
            guard rename(staging.path, dir.path) == 0 else { throw RikerError.posix("cannot move the unpacked slug to", path: dir.path) }
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
        logger.info("unpacked \(release.name) into \(dir.path)")
        return dir
    }

    /// The slug in `cache/SHA.EXT`, downloaded unless a verified copy is already there.
    private func fetch(_ release: Release, sha: String) async throws -> URL {
        let name = URL(fileURLWithPath: release.artifact).lastPathComponent
        let ext = name.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) ?? "slug"
        let cached = paths.cache.appendingPathComponent("\(sha).\(ext)")
        if FileManager.default.fileExists(atPath: cached.path), (try? await Blocking.run { try SlugArchive.sha256(of: cached) }) == sha {
            return cached
        }
        try FileManager.default.createDirectory(at: paths.cache, withIntermediateDirectories: true)
        let tmp = paths.cache.appendingPathComponent(".download-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: tmp) }
        logger.info("downloading \(release.artifact) (\(release.size) bytes)")
        try await store.download(release.artifact, to: tmp)
        let got = try await Blocking.run { try SlugArchive.sha256(of: tmp) }
        guard got == sha else {
            throw RikerError(.deployFailed, "slug \(release.artifact) has SHA-256 \(got) but \(release.name) expects \(sha): refusing to run it")
        }
        guard rename(tmp.path, cached.path) == 0 else { throw RikerError.posix("cannot move the slug to", path: cached.path) }
        return cached
    }

    static func isOwned(_ dir: URL, by user: AppUser) -> Bool {
        var st = stat()
        return stat(dir.path, &st) == 0 && st.st_uid == user.uid
    }

    /// The SHA-256 an unpacked release dir came from, or nil if it is absent or incomplete.
    static func unpackedSlug(in dir: URL) -> String? {
        guard let data = try? AtomicFile.read(dir.appendingPathComponent(marker)) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Keeps the newest `keep` release dirs (and every dir in `protected`); removes the rest,
    /// their logs, cached slugs no kept release uses, and staging dirs left by a crash.
    func prune(keep: Int, protected: Set<Int>) {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: paths.releases.path)) ?? []
        let versions = names.compactMap(parseVersion).sorted(by: >)
        let kept = Set(versions.prefix(keep)).union(protected)
        for v in versions where !kept.contains(v) {
            logger.info("removing old release dir v\(v)")
            try? fm.removeItem(at: paths.release(v))
            for log in (try? fm.contentsOfDirectory(atPath: paths.logs.path)) ?? [] where log.hasPrefix("v\(v)-") {
                try? fm.removeItem(at: paths.logs.appendingPathComponent(log))
            }
        }
        let usedSlugs = Set(kept.compactMap { Self.unpackedSlug(in: paths.release($0)) })
        for file in (try? fm.contentsOfDirectory(atPath: paths.cache.path)) ?? [] {
            let sha = String(file.prefix { $0 != "." })
            if file.hasPrefix(".") || !usedSlugs.contains(sha) { try? fm.removeItem(at: paths.cache.appendingPathComponent(file)) }
        }
        layerCache.prune(kept: kept)
    }

    /// Removes half-unpacked staging dirs a previous agent left when it died.
    func removeStaging() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: paths.releases.path)) ?? [] where name.hasPrefix(".v") {
            try? FileManager.default.removeItem(at: paths.releases.appendingPathComponent(name))
        }
        layerCache.removeStaging()
    }
}
