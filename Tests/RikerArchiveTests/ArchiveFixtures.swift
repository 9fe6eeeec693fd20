import Foundation
import RikerCore
import RikerTestSupport

/// Test helpers: small app directories on disk, and tar files built by Python's tarfile
/// (which writes whatever it is told, including what a hostile slug would hold).
enum ArchiveFixtures {
    /// Writes `files` (relative path → content) under `root`; a content starting with "->"
    /// makes a symlink to the rest.
    static func write(_ files: [String: String], under root: URL) throws {
        for (path, content) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if content.hasPrefix("->") {
                try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: String(content.dropFirst(2)))
            } else {
                try Data(content.utf8).write(to: url)
            }
        }
    }

    /// One member of a tar built by `tarfile(_:to:)`.
    struct Member: Encodable {
        var name: String
        var type = "file"   // file, dir, symlink, hardlink, fifo, chr
        var data = ""
        var linkname = ""
    }

    /// Builds a gzip-compressed tar holding exactly `members`, in order, with Python's tarfile.
    static func tarfile(_ members: [Member], to file: URL) throws {
        let script = """
        import io, json, sys, tarfile
        members = json.loads(sys.argv[2])
        types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                 "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}
        with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as tar:
            for m in members:
                info = tarfile.TarInfo(m["name"])
                info.type = types[m["type"]]
                info.mode = 0o755 if m["type"] == "dir" else 0o644
                info.linkname = m["linkname"]
                data = m["data"].encode()
                info.size = len(data) if m["type"] == "file" else 0
                tar.addfile(info, io.BytesIO(data) if info.size else None)
        """
        let json = String(decoding: try JSONEncoder().encode(members), as: UTF8.self)
        let result = try ProcessRunner.capture(ProcessSpec("python3", ["-c", script, file.path, json]), timeout: 60)
        guard result.status.succeeded else { throw RikerError(.process, "python tarfile failed: \(result.output)") }
    }

    /// Names, in archive order, with owner and time fields, of a gzip tar (read by Python).
    static func listing(of file: URL) throws -> [String] {
        let script = """
        import sys, tarfile
        with tarfile.open(sys.argv[1], "r:gz") as tar:
            for m in tar.getmembers():
                print(f"{m.name}|{m.uid}|{m.gid}|{m.uname}|{m.gname}|{int(m.mtime)}|{oct(m.mode)}|{m.type.decode()}|{m.linkname}")
        """
        let result = try ProcessRunner.capture(ProcessSpec("python3", ["-c", script, file.path]), timeout: 60)
        guard result.status.succeeded else { throw RikerError(.process, "python tarfile failed: \(result.output)") }
        return result.output.split(separator: "\n").map(String.init)
    }

    /// Runs a command and returns its output, throwing unless it exits 0.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in dir: URL? = nil) throws -> String {
        let result = try ProcessRunner.capture(ProcessSpec(executable, arguments, workingDirectory: dir), timeout: 120)
        guard result.status.succeeded else { throw RikerError(.process, "\(executable) failed: \(result.output)") }
        return result.output
    }

    static func mode(_ url: URL) -> mode_t {
        var info = stat()
        lstat(url.path, &info)
        return info.st_mode
    }

    /// Everything under `dir`, relative, sorted (empty if it does not exist).
    static func contents(of dir: URL) -> [String] {
        (FileManager.default.subpaths(atPath: dir.path) ?? []).sorted()
    }
}
