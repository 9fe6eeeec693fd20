import Hummingbird
import Logging

/// The request context of every route of `riker serve`.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// A part of the HTTP surface (webhooks, builds; later the API, the page, metrics): each
/// registers its routes on the one router the `HTTPService` builds.
public protocol HTTPRoutes: Sendable {
    func register(on router: Router<ServerRequestContext>)
}
