import Crypto
import Foundation
import Hummingbird
import RikerCore
import RikerReceive
import RikerRelease
import RikerServer

/// `POST /internal/push`: builds of pushes an unprivileged Riker user received
/// (`DelegatedPush`), authorised by the token in `ROOT/run/serve.json`. Anything else: 401.
struct InternalPushRoutes: HTTPRoutes {
    let paths: RikerPaths
    let store: any ReleaseStore
    let token: String

    /// A new random token (256 bits, hex).
    static func makeToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
    }

    func register(on router: Router<ServerRequestContext>) {
        router.post("/internal/push") { request, context -> Response in
            let given = request.headers[.authorization].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : "" } ?? ""
            // Compared as digests, so the time taken says nothing about the token.
            guard SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(token.utf8)) else {
                throw APIError(.unauthorized, "internal endpoint: the token of ROOT/run/serve.json is required")
            }
            let body = try await request.body.collect(upTo: 64 * 1024)
            let push: DelegatedPush.Request
            do { push = try JSONDecoder().decode(DelegatedPush.Request.self, from: Data(buffer: body)) } catch {
                throw APIError(.badRequest, "malformed push: \(error.userMessage)")
            }
            do {
                let id = try await DelegatedPush.start(push, paths: paths, store: store)
                return JSONResponse.make(.accepted, ["build": id])
            } catch let e as RikerError where e.code == .notFound {
                throw APIError(.notFound, e.message)
            } catch let e as RikerError {
                throw APIError(.badRequest, e.message)
            }
        }
    }
}
