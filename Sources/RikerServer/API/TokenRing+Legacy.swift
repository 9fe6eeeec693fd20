import Foundation
import RikerCore

extension RikerPaths {
    /// Where API tokens were kept before they moved into the store (read once, to import them).
    public var legacyTokensFile: URL { root.appendingPathComponent("tokens.json") }
}

extension TokenRing {
    /// Moves the tokens of a `ROOT/tokens.json` written by an older Riker into the store, once:
    /// each token whose name the store does not have yet is added (its hash, scope and date
    /// unchanged), then the file is renamed `tokens.json.imported` so a token removed later is
    /// not brought back. Returns the names imported (empty when there is no file) and those
    /// skipped because the store already has a token of that name. Safe to run from several
    /// processes: the store write is compare-and-swap and the rename happens once.
    @discardableResult
    public func importLegacyFile(_ paths: RikerPaths) async throws -> (imported: [String], skipped: [String]) {
        let file = paths.legacyTokensFile
        guard let data = try AtomicFile.read(file) else { return ([], []) }
        let old = try JSONCoding.decode([APIToken].self, from: data, what: file.path)
        var imported: [String] = [], skipped: [String] = []
        try await change { tokens in
            imported = []; skipped = []
            for token in old {
                if tokens.contains(where: { $0.name == token.name }) { skipped.append(token.name); continue }
                tokens.append(token)
                imported.append(token.name)
            }
        }
        let done = file.appendingPathExtension("imported")
        try? FileManager.default.removeItem(at: done)
        if rename(file.path, done.path) != 0 && errno != ENOENT {
            throw RikerError.posix("the API tokens are in the store now, but cannot rename the old file (rename it to tokens.json.imported yourself)", path: file.path)
        }
        return (imported, skipped)
    }
}
