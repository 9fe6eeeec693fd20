import Foundation
import RikerRelease

/// What the env page shows, read from the store in one go.
struct EnvSnapshot: Sendable {
    var app: String
    var env: String
    var current: Release?
    var releases: [Release]
    var deploys: [DeployRecord]
    var instanceIDs: [String]
    /// The app's other environments (promotion targets).
    var otherEnvs: [String]
}

/// The live part of the env page: current release, the newest deploy's instances batch by
/// batch, the releases with their buttons, the recent deploys. The server renders it for the
/// page and again for each server-sent event; the page swaps it in.
struct EnvView {
    let snapshot: EnvSnapshot
    let user: PageUser

    var path: String { "/apps/\(HTML.segment(snapshot.app))/\(HTML.segment(snapshot.env))" }

    func render() -> String {
        let s = snapshot
        var h = "<div id=\"live\" data-current=\"\(s.current?.version ?? 0)\">"
        if let c = s.current {
            h += "<p>Current release: <b id=\"current\" data-version=\"\(c.version)\">\(c.name)</b> <code>\(HTML.escape(c.shortCommit))</code> "
            h += "<span class=\"muted\">\(HTML.escape(c.description)) · \(HTML.escape(c.createdBy)) · \(HTML.date(c.createdAt))</span></p>"
        } else {
            h += "<p id=\"current\" data-version=\"0\">Nothing deployed yet.</p>"
        }
        h += deploySection()
        h += releasesSection()
        h += deploysSection()
        return h + "</div>"
    }

    func deploySection() -> String {
        guard let d = snapshot.deploys.first(where: { $0.outcome == .running }) ?? snapshot.deploys.first else {
            return "<h2>Deploy</h2><p class=\"muted\">No deploys yet.</p>"
        }
        var h = "<h2>Deploy <code>\(HTML.escape(d.id))</code></h2>"
        h += "<div id=\"deploy\" data-deploy=\"\(HTML.escape(d.id))\" data-release=\"\(d.release)\" data-outcome=\"\(d.outcome.rawValue)\">"
        h += "<p>\(d.previous.map { "v\($0) → " } ?? "")v\(d.release) on \(HTML.escape(d.target)) "
        h += "<span class=\"pill s-\(d.outcome.rawValue)\">\(d.outcome.rawValue.replacingOccurrences(of: "_", with: " "))</span> "
        h += "<span class=\"muted\">started \(HTML.date(d.startedAt))\(d.finishedAt.map { ", finished " + HTML.date($0) } ?? "")</span></p>"
        if let error = d.error { h += "<p class=\"error\">\(HTML.escape(error))</p>" }
        let picture = DeployPicture(d, instanceIDs: snapshot.instanceIDs)
        h += "<div class=\"batches\">"
        for row in picture.rows {
            let label = row.batch.map { "Batch \($0)" } ?? (d.outcome == .running ? "Not started" : "Not reached")
            h += "<div class=\"batch\" data-batch=\"\(row.batch ?? 0)\"><span class=\"label\">\(label)</span>"
            for i in row.instances {
                h += "<div class=\"inst st-\(i.state.rawValue)\" data-instance=\"\(HTML.escape(i.id))\" data-state=\"\(i.state.rawValue)\" title=\"\(HTML.escape(i.detail))\">"
                h += "<span class=\"id\">\(HTML.escape(i.id))</span><span class=\"pill state s-\(i.state.rawValue)\">\(i.state.label)</span></div>"
            }
            h += "</div>"
        }
        if picture.rows.isEmpty { h += "<p class=\"muted\">No instances took part.</p>" }
        return h + "</div></div>"
    }

    func releasesSection() -> String {
        let s = snapshot
        var h = "<h2>Releases</h2>"
        if !user.token.readOnly, let current = s.current {
            h += "<form class=\"inline\" id=\"promote\" method=\"post\" action=\"\(path)/promote\">\(csrfField)"
            h += "Promote \(current.name) to <input name=\"to\" list=\"envs\" required pattern=\"[a-z][a-z0-9-]{0,62}\" placeholder=\"staging\" size=\"12\">"
            h += "<datalist id=\"envs\">" + s.otherEnvs.map { "<option value=\"\(HTML.escape($0))\">" }.joined() + "</datalist> "
            h += "<button type=\"submit\">Promote</button></form>"
        }
        h += "<table id=\"releases\"><tr><th>Release</th><th>Commit</th><th>Description</th><th>By</th><th>Created</th><th>Config keys</th><th></th></tr>"
        for r in s.releases {
            let isCurrent = r.version == s.current?.version
            h += "<tr data-version=\"\(r.version)\"><td><b>\(r.name)</b>\(isCurrent ? " <span class=\"pill s-succeeded\">current</span>" : "")</td>"
            h += "<td><code>\(HTML.escape(r.shortCommit))</code></td><td>\(HTML.escape(r.description))</td><td>\(HTML.escape(r.createdBy))</td>"
            h += "<td class=\"muted\">\(HTML.date(r.createdAt))</td><td><code>\(HTML.escape(r.config.keys.sorted().joined(separator: " ")))</code></td><td>"
            if !user.token.readOnly && !isCurrent {
                h += "<form class=\"inline\" method=\"post\" action=\"\(path)/rollback\">\(csrfField)<input type=\"hidden\" name=\"version\" value=\"\(r.version)\">"
                h += "<button type=\"submit\" class=\"rollback\" data-version=\"\(r.version)\">Rollback to \(r.name)</button></form>"
            }
            h += "</td></tr>"
        }
        return h + "</table>"
    }

    func deploysSection() -> String {
        var h = "<h2>Recent deploys</h2><table id=\"deploys\"><tr><th>Deploy</th><th>Release</th><th>Outcome</th><th>Started</th><th>Finished</th><th>Error</th></tr>"
        for d in snapshot.deploys {
            h += "<tr id=\"deploy-\(HTML.escape(d.id))\"><td><code>\(HTML.escape(d.id))</code></td><td>\(d.previous.map { "v\($0) → " } ?? "")v\(d.release)</td>"
            h += "<td><span class=\"pill s-\(d.outcome.rawValue)\">\(d.outcome.rawValue.replacingOccurrences(of: "_", with: " "))</span></td>"
            h += "<td class=\"muted\">\(HTML.date(d.startedAt))</td><td class=\"muted\">\(HTML.date(d.finishedAt))</td><td>\(HTML.escape(d.error ?? ""))</td></tr>"
        }
        return h + "</table>"
    }

    var csrfField: String { "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(user.csrf))\">" }
}
