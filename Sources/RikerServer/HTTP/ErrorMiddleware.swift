import Hummingbird
import Logging
import RikerCore

/// Turns every error a route throws into a JSON answer: `APIError` and Hummingbird's own
/// `HTTPError` keep their status; anything else is a 500 whose cause goes to the log only.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such resource: \(request.method.rawValue) \(request.uri.path.prefix(200))" : error.status.reasonPhrase)
            return JSONResponse.make(error.status, ["error": message])
        } catch let error as any HTTPResponseError {
            return JSONResponse.make(error.status, ["error": error.status.reasonPhrase])
        } catch {
            context.logger.error("request failed", metadata: ["error": .string(error.userMessage)])
            return JSONResponse.make(.internalServerError, ["error": "internal error; the server log has the cause"])
        }
    }
}
