import RikerCore

/// What a client asked for over SSH (`SSH_ORIGINAL_COMMAND`), already validated.
public enum SSHRequest: Equatable, Sendable {
    /// `git push`: git-receive-pack for an app's repository.
    case receivePack(app: String)
    /// `git fetch`/`clone`: git-upload-pack for an app's repository.
    case uploadPack(app: String)
    /// A verb that may run over SSH (`apps:list`, `config:set APP K=V`, …) with its arguments.
    case admin(verb: Verb, arguments: [String])
}

/// Parses `SSH_ORIGINAL_COMMAND` without a shell: words are split and unquoted here, no
/// expansion happens, and anything a shell would treat specially outside quotes is refused.
public enum SSHCommandParser {
    public static func parse(_ command: String?) throws -> SSHRequest {
        guard let command, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RikerError(.invalidInput, "Riker does not offer a shell: push with 'git push', or run a command such as 'ssh HOST apps:list'")
        }
        let words = try split(command)
        guard let verb = words.first else { throw RikerError(.invalidInput, "empty command") }
        var args = Array(words.dropFirst())
        switch verb {
        case "git-receive-pack", "git-upload-pack", "git":
            var receive = verb == "git-receive-pack"
            if verb == "git" {
                guard let sub = args.first, sub == "receive-pack" || sub == "upload-pack" else {
                    throw RikerError(.invalidInput, "unsupported command 'git \(printable(args.first ?? ""))': only git push and git fetch are served")
                }
                receive = sub == "receive-pack"
                args.removeFirst()
            }
            guard args.count == 1 else {
                throw RikerError(.invalidInput, "expected one repository path, as in git-receive-pack 'APP.git'")
            }
            let app = try appName(fromRepoPath: args[0])
            return receive ? .receivePack(app: app) : .uploadPack(app: app)
        default:
            guard let known = Verb.named(verb), known.access != .localOnly else {
                throw RikerError(.invalidInput, "unknown command '\(printable(verb))': use git push, or one of \(Verb.overSSH.map(\.name).joined(separator: ", "))")
            }
            return .admin(verb: known, arguments: args)
        }
    }

    /// `APP.git`, `/APP.git`, `APP` → `APP`, after checking it is a valid app name.
    public static func appName(fromRepoPath path: String) throws -> String {
        var p = Substring(path)
        while p.hasPrefix("/") { p = p.dropFirst() }
        if p.hasSuffix(".git") { p = p.dropLast(4) }
        if p.hasSuffix("/") { p = p.dropLast() }
        return try AppName.validate(String(p))
    }

    /// Splits like a POSIX shell would for plain words, '…' and "…", without any expansion.
    /// Unquoted metacharacters (`;|&$\`<>(){}*?!~#\` and newlines) are refused.
    public static func split(_ s: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        let special: Set<Character> = [";", "|", "&", "$", "`", "<", ">", "(", ")", "{", "}", "*", "?", "!", "~", "#", "\\", "\n", "\r", "[", "]"]
        for ch in s {
            if ch.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f }) {
                throw RikerError(.invalidInput, "refusing command with control characters")
            }
            if let q = quote {
                if ch == q { quote = nil; continue }
                if q == "\"" && (ch == "$" || ch == "`" || ch == "\\") {
                    throw RikerError(.invalidInput, "refusing '\(ch)' inside double quotes: use single quotes")
                }
                current.append(ch)
                continue
            }
            switch ch {
            case "'", "\"": quote = ch; inWord = true
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            default:
                if special.contains(ch) {
                    throw RikerError(.invalidInput, "refusing shell metacharacter '\(ch)' in the command: Riker runs no shell")
                }
                current.append(ch); inWord = true
            }
        }
        if quote != nil { throw RikerError(.invalidInput, "unterminated quote in the command") }
        if inWord { words.append(current) }
        return words
    }

    static func printable(_ s: String) -> String {
        let t = s.count > 40 ? String(s.prefix(40)) + "…" : s
        return String(t.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? Character($0) : "?" })
    }
}
