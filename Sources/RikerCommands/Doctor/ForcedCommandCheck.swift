import Foundation
import RikerCore

/// Doctor check of `authorized_keys`: every key has a forced command, and each runs an
/// existing riker with this root.
enum ForcedCommandCheck {
    /// A forced command as `keys:add` writes it: `command="BIN --root ROOT ssh-command NAME",restrict KEY NAME`.
    struct ForcedCommand: Equatable {
        var program: String
        var root: String?
    }

    /// The forced command of one authorized_keys line, nil when it has none.
    static func parse(_ line: String) -> ForcedCommand? {
        guard let start = line.range(of: "command=\"") else { return nil }
        // Only the options before the key type count: the key's comment might say anything.
        let options = line[..<start.lowerBound]
        guard !options.contains(" ") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let words = rest[..<end].split(separator: " ").map(String.init)
        guard let program = words.first else { return nil }
        var root: String?
        if let i = words.firstIndex(of: "--root"), i + 1 < words.count { root = words[i + 1] }
        else if let w = words.first(where: { $0.hasPrefix("--root=") }) { root = String(w.dropFirst(7)) }
        return ForcedCommand(program: program, root: root)
    }

    static func check(_ ctx: DoctorContext) -> DoctorFinding {
        let file = ctx.paths.authorizedKeys
        guard let data = try? AtomicFile.read(file) else {
            return .problem("forced-commands", "cannot read \(file.path): run doctor as root or as the root's owner")
        }
        let root = ctx.paths.root.path
        let sync = "run riker --root \(root) keys:sync as the root's owner"
        let me = ctx.rikerBinary.resolvingSymlinksInPath().path
        var count = 0
        var elsewhere: [String] = []
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let command = parse(line) else {
                return .problem("forced-commands", "line \(n + 1) of \(file.path) has no forced command, so that key gets a shell: remove it, "
                    + "then add the key with keys:add")
            }
            guard FileManager.default.isExecutableFile(atPath: command.program) else {
                return .problem("forced-commands", "line \(n + 1) of \(file.path) runs \(command.program), which does not exist: \(sync)")
            }
            let commandRoot = URL(fileURLWithPath: command.root ?? "/var/lib/riker").standardizedFileURL.path
            guard commandRoot == root else {
                return .problem("forced-commands", "line \(n + 1) of \(file.path) uses root \(commandRoot), not \(root): \(sync)")
            }
            if URL(fileURLWithPath: command.program).resolvingSymlinksInPath().path != me { elsewhere.append(command.program) }
            count += 1
        }
        if count == 0 {
            return .warning("forced-commands", "no keys registered: add one with riker --root \(root) keys:add NAME --admin < KEY.pub")
        }
        if let other = elsewhere.first {
            return .warning("forced-commands", "\(elsewhere.count) of \(count) keys run \(other), not \(ctx.rikerBinary.path): \(sync)")
        }
        return .ok("forced-commands", "\(count) key\(count == 1 ? "" : "s") run \(ctx.rikerBinary.path) --root \(root)")
    }
}
