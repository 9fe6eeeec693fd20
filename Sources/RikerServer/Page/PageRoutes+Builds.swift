import Foundation
import Hummingbird
import RikerCore
import RikerRelease

/// A build's page: its record and its log, followed live while it runs.
///
/// The log is the stored one (`builds/APP/ID.log`), which a running push build refreshes
/// every few seconds; webhook builds store theirs when they end.
extension PageRoutes {
    func registerBuilds(on router: Router<ServerRequestContext>) {
        router.get("apps/:app/builds/:id") { request, context in
            try await page(request) { user in
                let (app, record) = try await build(user, context)
                return try await buildPage(user, app: app, record: record)
            }
        }
        router.get("apps/:app/builds/:id/events") { request, context in
            try await page(request) { user in
                let (app, record) = try await build(user, context)
                let from = Int(request.uri.queryParameters.get("offset") ?? "") ?? 0
                return buildEvents(app: app, id: record.id, from: max(0, from))
            }
        }
    }

    func build(_ user: PageUser, _ context: ServerRequestContext) async throws -> (String, BuildRecord) {
        let app = context.parameters.get("app") ?? "", id = context.parameters.get("id") ?? ""
        guard user.token.covers(app) else { throw APIError(.forbidden, "token \(user.token.name) has no access to app \(app.prefix(64))") }
        guard let record = try await BuildRecords(store: store).get(app: app, id: id) else {
            throw APIError(.notFound, "no build \(id.prefix(40)) of \(app.prefix(64))")
        }
        return (app, record)
    }

    func buildPage(_ user: PageUser, app: String, record b: BuildRecord) async throws -> Response {
        let nonce = HTML.nonce()
        let log = try await store.get(StoreLayout.buildLog(app, b.id))?.data ?? Data()
        let shown = Self.completeLines(log, finished: b.isFinished)
        var body = "<h1><a href=\"/\">Apps</a> / <a href=\"/apps/\(HTML.segment(app))/\(HTML.segment(b.env))\">\(HTML.escape(app)) / \(HTML.escape(b.env))</a> / build <code>\(HTML.escape(b.id))</code></h1>"
        body += "<p><span id=\"status\" class=\"pill s-\(b.status.rawValue)\" data-status=\"\(b.status.rawValue)\">\(b.status.rawValue)</span> "
        body += "\(HTML.escape(b.ref)) <code>\(HTML.escape(String((b.commit ?? b.requestedCommit).prefix(7))))</code> "
        body += "<span class=\"muted\">by \(HTML.escape(b.createdBy ?? "?")) · \(HTML.date(b.startedAt ?? b.createdAt))</span>"
        if let release = b.release { body += " → \(HTML.escape(release))" }
        body += "</p>"
        if let error = b.error { body += "<p class=\"error\">\(HTML.escape(error))</p>" }
        if let note = b.note { body += "<p class=\"muted\">\(HTML.escape(note))</p>" }
        body += "<pre class=\"log\" id=\"log\" data-offset=\"\(shown.count)\">\(HTML.escape(String(decoding: shown, as: UTF8.self)))</pre>"
        // Log text goes in with textContent: never parsed as HTML.
        let script = b.isFinished ? "" : """
        (function(){var log=document.getElementById('log'),st=document.getElementById('status');
        var es=new EventSource(location.pathname+'/events?offset='+log.dataset.offset);
        es.addEventListener('log',function(e){log.appendChild(document.createTextNode(e.data+'\\n'));log.scrollTop=log.scrollHeight;});
        es.addEventListener('end',function(e){st.textContent=e.data;st.dataset.status=e.data;st.className='pill s-'+e.data;es.close();});})();
        """
        return HTML.response(.ok, frame(user, title: "build \(b.id)", content: body, nonce: nonce, script: script), nonce: nonce)
    }

    /// New whole lines of the log as `log` events, then `end` with the status once the record
    /// says the build is over.
    func buildEvents(app: String, id: String, from: Int) -> Response {
        let state = EventState()
        state.offset = from
        let records = BuildRecords(store: store)
        return PageEvents.response(interval: .seconds(1)) { [store] in
            guard let record = try await records.get(app: app, id: id) else { return .end([]) }
            let log = try await store.get(StoreLayout.buildLog(app, id))?.data ?? Data()
            var events: [String] = []
            if log.count > state.offset {
                let fresh = Self.completeLines(log.subdata(in: state.offset..<log.count), finished: record.isFinished)
                if !fresh.isEmpty {
                    state.offset += fresh.count
                    var text = String(decoding: fresh, as: UTF8.self)
                    if text.hasSuffix("\n") { text.removeLast() }
                    events.append(PageEvents.event("log", text))
                }
            }
            if record.isFinished { return .end(events + [PageEvents.event("end", record.status.rawValue)]) }
            return events.isEmpty ? .idle : .send(events)
        }
    }

    /// `data` up to its last newline (all of it once the build is over), so no line or UTF-8
    /// sequence is cut.
    static func completeLines(_ data: Data, finished: Bool) -> Data {
        if finished { return data }
        guard let last = data.lastIndex(of: 0x0a) else { return Data() }
        return data.prefix(through: last)
    }
}
