import Foundation

/// What a tree walker asks of the file system without Foundation's per-entry cost: a
/// directory's names and a symlink's target, as the kernel gives them.
public enum DirectoryListing {
    /// The names in `directory`, without `.` and `..`, in the order readdir(3) gives them.
    public static func names(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw RikerError.posix("cannot list", path: directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Where the symlink at `path` points (not resolved).
    public static func linkTarget(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw RikerError.posix("cannot read symlink", path: path) }
        buffer[count] = 0
        return String(cString: buffer)
    }
}
