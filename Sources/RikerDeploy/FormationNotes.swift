import RikerCore
import RikerRelease

/// Tells the pusher what a new release runs on each instance, and which types stay stopped.
enum FormationNotes {
    /// `notes` first (e.g. app.json quantities that were lowered), then
    /// `Runs per instance: web=1; not running: clock, worker (ps:scale APP TYPE=N starts them)`.
    static func print(_ release: Release, notes: [String], output: Output) {
        for note in notes { output.detail(note) }
        let formation = release.effectiveFormation
        let types = Formation.ordered(release.processTypes.keys.filter { $0 != Formation.releaseType })
        let running = types.filter { formation.count($0) > 0 }
        let stopped = types.filter { formation.count($0) == 0 }
        var line = running.isEmpty ? "Runs no processes" : "Runs per instance: " + running.map { "\($0)=\(formation.count($0))" }.joined(separator: " ")
        if !stopped.isEmpty {
            line += "; not running: \(stopped.joined(separator: ", ")) (ps:scale \(release.app) TYPE=N starts them)"
        }
        output.detail(line)
    }
}
