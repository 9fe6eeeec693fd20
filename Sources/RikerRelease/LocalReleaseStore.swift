import Crypto
import Foundation
import RikerCore

/// The embedded default store: a directory with the S3 layout, giving the same guarantees.
///
/// - create-if-absent is `link(2)` of a complete temp file (atomic, never overwrites);
/// - compare-and-swap and every other write hold a per-key `flock` while they compare and rename,
///   so they are atomic across processes on one machine;
/// - entity tags are the SHA-256 of the content, so they change exactly when the bytes do.
/// Object tags are kept in `.meta/KEY.tags.json`, outside the listed keys.
public struct LocalReleaseStore: ReleaseStore {
    public let directory: URL

    public init(directory: URL) { self.directory = directory.standardizedFileURL }

    public var url: String { "file://" + directory.path }

    private func path(_ key: String) throws -> URL {
        try Self.checkKey(key)
        return directory.appendingPathComponent(key)
    }

    /// The store holds config vars: its directory is the owner's alone (0700), created so or
    /// tightened on the first write, so builds (another user) can read none of it.
    private func guardDirectory() throws {
        var st = stat()
        if stat(directory.path, &st) != 0 {
            try FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
            if mkdir(directory.path, 0o700) != 0 && errno != EEXIST { throw RikerError.posix("cannot create the store", path: directory.path) }
        } else if st.st_mode & 0o077 != 0 {
            chmod(directory.path, 0o700)
        }
    }

    /// When root writes into a store another user owns (root-run agents and `riker serve`
    /// beside pushes as the `riker` user), what it creates is given to that owner, so the owner
    /// can change and delete it later (`apps:destroy`).
    private func keepOwner(_ url: URL) {
        guard let owner = foreignOwner() else { return }
        var item = url
        while item.path.count > directory.path.count {
            var st = stat()
            if lstat(item.path, &st) == 0, st.st_uid != owner.uid { lchown(item.path, owner.uid, owner.gid) }
            item = item.deletingLastPathComponent()
        }
    }

    /// The store's owner when root writes into a store another user owns, else nil. Files are
    /// given to it before they are renamed into place: the owner reading a key (a push's hook
    /// following its build log) must never find it root's and unreadable for a moment.
    private func foreignOwner() -> FileOwner? {
        guard geteuid() == 0 else { return nil }
        var top = stat()
        guard stat(directory.path, &top) == 0, top.st_uid != 0 else { return nil }
        return FileOwner(uid: top.st_uid, gid: top.st_gid)
    }

    private func keyLock(_ key: String) -> URL {
        let digest = SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
        return directory.appendingPathComponent(".locks").appendingPathComponent(String(digest.prefix(32)))
    }

    static func etag(_ data: Data) -> String {
        "\"" + SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    public func get(_ key: String) async throws -> StoredObject? {
        guard let data = try AtomicFile.read(try path(key)) else { return nil }
        return StoredObject(data: data, etag: Self.etag(data))
    }

    public func get(_ key: String, ifNoneMatch etag: String) async throws -> ConditionalRead {
        guard let obj = try await get(key) else { return .absent }
        return obj.etag == etag ? .unchanged : .changed(obj)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let p = try path(key)
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: p.path),
              (attrs[.type] as? FileAttributeType) == .typeRegular else { return nil }
        let size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
        // Artifacts are content-addressed and can be large: no need to hash them for an etag.
        let etag = size > 1 << 20 ? "\"\(size)\"" : (try await get(key)?.etag ?? "")
        return ObjectInfo(key: key, etag: etag, size: size)
    }

    @discardableResult
    public func put(_ key: String, _ data: Data, condition: WriteCondition) async throws -> String {
        let p = try path(key)
        try guardDirectory()
        let lock = keyLock(key)
        defer { keepOwner(p); keepOwner(lock) }
        let owner = foreignOwner()
        return try FileLock.withLock(lock) {
            switch condition {
            case .ifAbsent:
                guard try AtomicFile.createIfAbsent(data, at: p, mode: 0o600, owner: owner) else {
                    throw RikerError(.preconditionFailed, "\(key) already exists")
                }
            case .ifMatch(let expected):
                let currentData = try AtomicFile.read(p)
                guard let currentData, Self.etag(currentData) == expected else {
                    throw RikerError(.preconditionFailed, "\(key) changed since it was read")
                }
                try AtomicFile.write(data, to: p, mode: 0o600, owner: owner)
            case .always:
                try AtomicFile.write(data, to: p, mode: 0o600, owner: owner)
            }
            return Self.etag(data)
        }
    }

    public func delete(_ key: String) async throws {
        let p = try path(key)
        try FileLock.withLock(keyLock(key)) {
            if unlink(p.path) != 0 && errno != ENOENT { throw RikerError.posix("cannot delete", path: p.path) }
        }
        // As on S3, a "directory" with nothing left in it is gone (listings no longer show it).
        var dir = p.deletingLastPathComponent()
        while dir.path.count > directory.path.count, rmdir(dir.path) == 0 { dir = dir.deletingLastPathComponent() }
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        // Walk the deepest directory the prefix names, then filter by the full prefix.
        let dirPart = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        if !dirPart.isEmpty { try Self.checkKey(dirPart) }
        let base = dirPart.isEmpty ? directory : directory.appendingPathComponent(dirPart)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else { return [] }
        var out: [ObjectInfo] = []
        let rootLen = directory.path.count + 1
        for case let url as URL in walker {
            let vals = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard vals?.isRegularFile == true else { continue }
            let key = String(url.standardizedFileURL.path.dropFirst(rootLen))
            if key.hasPrefix(".") || key.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            guard key.hasPrefix(prefix) else { continue }
            out.append(ObjectInfo(key: key, etag: "", size: Int64(vals?.fileSize ?? 0)))
        }
        return out.sorted { $0.key < $1.key }
    }

    public func listChildren(prefix: String) async throws -> [String] {
        let dir = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if !dir.isEmpty { try Self.checkKey(dir) }
        let base = dir.isEmpty ? directory : directory.appendingPathComponent(dir)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    public func upload(_ key: String, from file: URL, tags: [String: String]) async throws {
        let p = try path(key)
        try guardDirectory()
        try FileManager.default.createDirectory(at: p.deletingLastPathComponent(), withIntermediateDirectories: true)
        let tmp = p.deletingLastPathComponent().appendingPathComponent(".upload-\(UUID().uuidString)")
        do {
            try FileManager.default.copyItem(at: file, to: tmp)
            if let owner = foreignOwner(), lchown(tmp.path, owner.uid, owner.gid) != 0 {
                throw RikerError.posix("cannot give to the store's owner", path: tmp.path)
            }
            guard rename(tmp.path, p.path) == 0 else { throw RikerError.posix("cannot store", path: p.path) }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error as? RikerError ?? RikerError(.io, "cannot store \(key): \(error.localizedDescription)")
        }
        keepOwner(p)
        if !tags.isEmpty {
            let meta = directory.appendingPathComponent(".meta").appendingPathComponent(key + ".tags.json")
            try AtomicFile.write(try JSONCoding.encode(tags), to: meta, owner: foreignOwner())
            keepOwner(meta)
        }
    }

    /// The object tags stored with an artifact (empty if none).
    public func tags(_ key: String) throws -> [String: String] {
        guard let data = try AtomicFile.read(directory.appendingPathComponent(".meta").appendingPathComponent(key + ".tags.json")) else { return [:] }
        return try JSONCoding.decode([String: String].self, from: data, what: "tags of \(key)")
    }

    public func download(_ key: String, to file: URL) async throws {
        let p = try path(key)
        guard FileManager.default.fileExists(atPath: p.path) else { throw RikerError(.notFound, "\(key) is not in the store \(url)") }
        try? FileManager.default.removeItem(at: file)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try FileManager.default.copyItem(at: p, to: file) } catch {
            throw RikerError(.io, "cannot copy \(key) to \(file.path): \(error.localizedDescription)")
        }
    }
}
