import Crypto
import Foundation
import RikerCore
import RikerHTTP

/// The condition of a PUT.
public enum S3WriteCondition: Sendable, Equatable {
    case none
    /// `If-None-Match: *`: only if no object has the key (412 otherwise).
    case ifAbsent
    /// `If-Match: ETAG`: only if the object still has this entity tag (412 otherwise).
    case ifMatch(String)
}

/// What HEAD says about an object.
public struct S3ObjectHead: Sendable, Equatable {
    public var etag: String
    public var size: Int64
    /// `x-amz-meta-*` headers, names without the prefix.
    public var metadata: [String: String]
    public var serverSideEncryption: String?
}

/// The answer to a GET.
public enum S3GetResult: Sendable, Equatable {
    case notFound
    /// 304: the object still has the entity tag the caller sent in `If-None-Match`.
    case notModified
    case object(data: Data, etag: String)
}

extension S3Client {
    /// GET an object into memory; `ifNoneMatch` makes an unchanged object cost a 304.
    public func getObject(bucket: String, key: String, ifNoneMatch: String? = nil) async throws -> S3GetResult {
        var call = Call(method: "GET", bucket: bucket, key: key)
        if let etag = ifNoneMatch { call.headers["If-None-Match"] = etag }
        let answer = try await send(call)
        switch answer.response.status {
        case 200..<300: return .object(data: answer.response.body, etag: answer.response.headers["etag"] ?? "")
        case 304: return .notModified
        case 404 where S3ErrorBody(answer.response.body).code != "NoSuchBucket": return .notFound
        default: throw failure(call, answer)
        }
    }

    /// HEAD an object; nil if there is none.
    public func headObject(bucket: String, key: String) async throws -> S3ObjectHead? {
        let call = Call(method: "HEAD", bucket: bucket, key: key)
        let answer = try await send(call)
        let r = answer.response
        if r.status == 404 { return nil }
        guard r.isSuccess else { throw failure(call, answer) }
        var meta: [String: String] = [:]
        for (k, v) in r.headers where k.hasPrefix("x-amz-meta-") { meta[String(k.dropFirst(11))] = v }
        return S3ObjectHead(etag: r.headers["etag"] ?? "", size: Int64(r.headers["content-length"] ?? "") ?? 0,
                            metadata: meta, serverSideEncryption: r.headers["x-amz-server-side-encryption"])
    }

    /// PUT an object from memory or from a file region; returns the new entity tag.
    /// Throws `.preconditionFailed` when `condition` does not hold. Conditional writes of
    /// in-memory bodies are idempotent: one that meets 412 while the object already holds exactly
    /// these bytes has succeeded (its first sending landed and the answer was lost in transit).
    @discardableResult
    public func putObject(bucket: String, key: String, body: HTTPBody, payloadHash: String? = nil, condition: S3WriteCondition = .none,
                          tags: [String: String] = [:], metadata: [String: String] = [:], contentType: String? = nil) async throws -> String {
        var call = Call(method: "PUT", bucket: bucket, key: key, body: body, payloadHash: payloadHash)
        call.large = body.count > 8 << 20
        call.headers = uploadHeaders(tags: tags, metadata: metadata, contentType: contentType)
        switch condition {
        case .none: break
        case .ifAbsent: call.headers["If-None-Match"] = "*"
        case .ifMatch(let etag): call.headers["If-Match"] = etag
        }
        let answer = try await send(call)
        if answer.response.status == 412, condition != .none, case .data(let sent) = body,
           case .object(let stored, let etag) = try await getObject(bucket: bucket, key: key), stored == sent {
            // Our write landed but its answer was lost, and the resend (ours, or libcurl's own on
            // a dead keep-alive connection) met it: the object holds exactly our bytes.
            return etag
        }
        guard answer.response.isSuccess else { throw conditionalFailure(call, answer, condition) }
        return answer.response.headers["etag"] ?? ""
    }

    /// DELETE an object; deleting an absent key succeeds.
    public func deleteObject(bucket: String, key: String) async throws {
        let call = Call(method: "DELETE", bucket: bucket, key: key)
        let answer = try await send(call)
        guard answer.response.isSuccess || answer.response.status == 404 && S3ErrorBody(answer.response.body).code != "NoSuchBucket" else {
            throw failure(call, answer)
        }
    }

    /// The object's tags.
    public func getObjectTagging(bucket: String, key: String) async throws -> [String: String] {
        let call = Call(method: "GET", bucket: bucket, key: key, query: "tagging")
        let answer = try await send(call)
        guard answer.response.isSuccess else { throw failure(call, answer) }
        var tags: [String: String] = [:]
        for tag in try S3Client.parse(answer, call).list("TagSet") where tag.name == "Tag" {
            if let k = tag.text("Key") { tags[k] = tag.text("Value") ?? "" }
        }
        return tags
    }

    /// Replaces the object's tags.
    public func putObjectTagging(bucket: String, key: String, tags: [String: String]) async throws {
        let xml = "<Tagging><TagSet>" + tags.sorted { $0.key < $1.key }.map {
            "<Tag><Key>\(AWSXMLElement.escape($0.key))</Key><Value>\(AWSXMLElement.escape($0.value))</Value></Tag>"
        }.joined() + "</TagSet></Tagging>"
        let body = Data(xml.utf8)
        let call = Call(method: "PUT", bucket: bucket, key: key, query: "tagging",
                        headers: ["Content-Type": "application/xml", "Content-MD5": Data(Insecure.MD5.hash(data: body)).base64EncodedString()],
                        body: .data(body))
        let answer = try await send(call)
        guard answer.response.isSuccess else { throw failure(call, answer) }
    }

    /// Creates `bucket` (in the client's region); an existing bucket of ours is fine.
    public func createBucket(_ bucket: String) async throws {
        var body = Data()
        if configuration.region != "us-east-1" {
            body = Data("<CreateBucketConfiguration><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>".utf8)
        }
        let call = Call(method: "PUT", bucket: bucket, body: .data(body))
        let answer = try await send(call)
        let code = S3ErrorBody(answer.response.body).code
        guard answer.response.isSuccess || code == "BucketAlreadyOwnedByYou" else { throw failure(call, answer) }
    }

    /// Headers every object-creating request carries: tags, metadata, encryption, type.
    func uploadHeaders(tags: [String: String], metadata: [String: String], contentType: String?) -> [String: String] {
        var h: [String: String] = [:]
        if !tags.isEmpty { h["x-amz-tagging"] = AWSURI.query(tags.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
        for (k, v) in metadata { h["x-amz-meta-\(k.lowercased())"] = v }
        if let sse = configuration.serverSideEncryption {
            h["x-amz-server-side-encryption"] = sse
            if let kms = configuration.kmsKeyId { h["x-amz-server-side-encryption-aws-kms-key-id"] = kms }
        }
        if let t = contentType { h["Content-Type"] = t }
        return h
    }

    /// 412 (and S3's 409 ConditionalRequestConflict, a conditional write racing another) become
    /// `.preconditionFailed`; everything else the usual failure.
    func conditionalFailure(_ call: Call, _ answer: Answer, _ condition: S3WriteCondition) -> RikerError {
        let code = S3ErrorBody(answer.response.body).code
        if condition != .none, answer.response.status == 409, code == "ConditionalRequestConflict" {
            return RikerError(.preconditionFailed, "\(call.what): a concurrent conditional write won (409 ConditionalRequestConflict)")
        }
        if condition != .none, answer.response.status == 404, code == "NoSuchKey" {
            return RikerError(.preconditionFailed, "\(call.what): the object is gone (If-Match on a missing key)")
        }
        return failure(call, answer)
    }
}
