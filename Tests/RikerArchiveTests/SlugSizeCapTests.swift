import Foundation
import RikerArchive
import RikerCore
import RikerTestSupport
import Testing

/// Slug size caps: packing refuses files that add up to too much from a stat walk (sparse
/// files count in full, and are never read), packing stops at the build's deadline, and
/// unpacking refuses an archive whose entries add up to more than its release records.
@Suite struct SlugSizeCapTests {
    static let fourGiB: Int64 = 4 << 30

    private func limits(maxMB: Int64?, deadline: Date? = nil) -> SlugLimits {
        SlugLimits(maxBytes: maxMB.map { $0 << 20 }, limitName: "build.max_slug_mb=\(maxMB ?? 0)",
                   raiseHint: "raise it with apps:set web build.max_slug_mb=N",
                   deadline: deadline, deadlineName: "the build time limit (build.timeout_seconds=900)")
    }

    /// A file of `size` bytes that occupies (almost) no disk: a hole.
    private func sparseFile(_ url: URL, size: Int64) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw RikerError(.io, "cannot create \(url.path)") }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(size))
    }

    /// Bytes of disk actually allocated under `url` (st_blocks, not st_size).
    private func allocatedBytes(_ url: URL) -> Int64 {
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(atPath: url.path)
        var info = stat()
        if lstat(url.path, &info) == 0 { total += Int64(info.st_blocks) * 512 }
        while let relative = enumerator?.nextObject() as? String {
            if lstat(url.appendingPathComponent(relative).path, &info) == 0 { total += Int64(info.st_blocks) * 512 }
        }
        return total
    }

    @Test func aHugeSparseFileIsRefusedFromItsSizeBeforeAnythingIsWritten() throws {
        let tmp = try TempDir("riker-cap"); defer { tmp.remove() }
        try ArchiveFixtures.write(["Procfile": "web: true\n", "data/small.txt": "x"], under: tmp.path("app"))
        try sparseFile(tmp.path("app/data/disk.img"), size: Self.fourGiB)
        try FileManager.default.createDirectory(at: tmp.path("out"), withIntermediateDirectories: true)

        let error = #expect(throws: RikerError.self) {
            try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("out/slug.tar.zst"), limits: limits(maxMB: 500))
        }
        #expect(error?.code == .archive)
        #expect(error?.message == "slug is 4.0G unpacked, over build.max_slug_mb=500 (biggest: data/disk.img, 4.0G): "
            + "add big files to .slugignore, or raise it with apps:set web build.max_slug_mb=N")
        #expect(ArchiveFixtures.contents(of: tmp.path("out")) == [], "no slug and no partial file")
    }

    @Test func filesUpToTheCapArePackedAndTheSlugRecordsTheirSize() throws {
        let tmp = try TempDir("riker-cap"); defer { tmp.remove() }
        try ArchiveFixtures.write(["a.txt": "abc", "dir/b.txt": "hello", "link": "->a.txt"], under: tmp.path("app"))
        let slug = try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.zst"),
                                        limits: SlugLimits(maxBytes: 8, limitName: "8 bytes", raiseHint: "", deadline: nil, deadlineName: ""))
        #expect(slug.unpackedSize == 8)
        try SlugArchive.unpack(slug.file, into: tmp.path("exact"), maxBytes: 8)
        #expect(FileManager.default.contents(atPath: tmp.path("exact/dir/b.txt").path) == Data("hello".utf8))

        let error = #expect(throws: RikerError.self) { try SlugArchive.unpack(slug.file, into: tmp.path("short"), maxBytes: 7) }
        #expect(error?.message.hasPrefix("refusing slug entry 'dir/b.txt' (5B): the slug unpacks to more than its 7B cap") == true,
                "\(error?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("short").path))

        #expect(throws: RikerError.self) {
            try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug2.tar.zst"),
                                 limits: SlugLimits(maxBytes: 7, limitName: "7 bytes", raiseHint: "", deadline: nil, deadlineName: ""))
        }
    }

    @Test func packingPastTheBuildDeadlineStopsAndNamesTheLimit() throws {
        let tmp = try TempDir("riker-cap"); defer { tmp.remove() }
        try ArchiveFixtures.write(["a.txt": "abc"], under: tmp.path("app"))
        try FileManager.default.createDirectory(at: tmp.path("out"), withIntermediateDirectories: true)
        let error = #expect(throws: RikerError.self) {
            try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("out/slug.tar.zst"),
                                 limits: limits(maxMB: 500, deadline: Date(timeIntervalSinceNow: -1)))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("ran past the build time limit (build.timeout_seconds=900)") == true, "\(error?.message ?? "")")
        #expect(ArchiveFixtures.contents(of: tmp.path("out")) == [])
    }

    /// A slug written by libarchive itself (bsdtar stores the hole as a pax sparse entry: the
    /// archive is a few hundred bytes, the entry says 4 GiB).
    private func sparseSlug(in tmp: TempDir) throws -> URL {
        try ArchiveFixtures.write(["Procfile": "web: true\n"], under: tmp.path("src"))
        try sparseFile(tmp.path("src/zeros.img"), size: Self.fourGiB)
        let slug = tmp.path("sparse.tar.zst")
        try ArchiveFixtures.run("bsdtar", ["--zstd", "-cf", slug.path, "-C", tmp.path("src").path, "Procfile", "zeros.img"])
        try FileManager.default.removeItem(at: tmp.path("src"))
        var info = stat()
        lstat(slug.path, &info)
        #expect(info.st_size < 64 << 10, "the sparse slug is tiny")
        return slug
    }

    @Test func aHandMadeSlugWithAHugeSparseEntryIsRefusedBeforeItIsWritten() throws {
        let tmp = try TempDir("riker-cap"); defer { tmp.remove() }
        let slug = try sparseSlug(in: tmp)
        try FileManager.default.createDirectory(at: tmp.path("releases"), withIntermediateDirectories: true)

        let error = #expect(throws: RikerError.self) { try SlugArchive.unpack(slug, into: tmp.path("releases/v1"), maxBytes: 1 << 20) }
        #expect(error?.message == "refusing slug entry 'zeros.img' (4.0G): the slug unpacks to more than its 1.0M cap "
            + "(the unpacked size its release records)")
        #expect(ArchiveFixtures.contents(of: tmp.path("releases")) == [])

        // With no recorded size, the default cap (500 MB) applies.
        #expect(throws: RikerError.self) { try SlugArchive.unpack(slug, into: tmp.path("releases/v2")) }
        #expect(ArchiveFixtures.contents(of: tmp.path("releases")) == [])
    }

    @Test func aSparseEntryWithinTheCapIsWrittenAsAHoleNotAllocated() throws {
        let tmp = try TempDir("riker-cap"); defer { tmp.remove() }
        let slug = try sparseSlug(in: tmp)
        try SlugArchive.unpack(slug, into: tmp.path("v1"), maxBytes: Self.fourGiB + 1024)
        var info = stat()
        lstat(tmp.path("v1/zeros.img").path, &info)
        #expect(Int64(info.st_size) == Self.fourGiB)
        #expect(allocatedBytes(tmp.path("v1")) < 1 << 20, "\(allocatedBytes(tmp.path("v1"))) bytes allocated")
    }

    @Test func zerosPackedInFullUnpackAsHoles() throws {
        // Riker's own packer stores a sparse file's zeros (compressed to almost nothing); the
        // agent must not turn them back into allocated blocks.
        let tmp = try TempDir("riker-cap"); defer { tmp.remove() }
        try ArchiveFixtures.write(["Procfile": "web: true\n"], under: tmp.path("app"))
        try sparseFile(tmp.path("app/zeros.img"), size: 64 << 20)
        let slug = try SlugArchive.pack(directory: tmp.path("app"), to: tmp.path("slug.tar.zst"), limits: limits(maxMB: 500))
        #expect(slug.size < 64 << 10)
        #expect(slug.unpackedSize == (64 << 20) + 10)
        try SlugArchive.unpack(slug.file, into: tmp.path("v1"), maxBytes: slug.unpackedSize)
        var info = stat()
        lstat(tmp.path("v1/zeros.img").path, &info)
        #expect(Int64(info.st_size) == 64 << 20)
        #expect(allocatedBytes(tmp.path("v1")) < 1 << 20, "\(allocatedBytes(tmp.path("v1"))) bytes allocated")
    }
}
