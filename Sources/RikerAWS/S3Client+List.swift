import Foundation
import RikerCore

/// One listed object.
public struct S3ObjectSummary: Sendable, Equatable {
    public var key: String
    public var etag: String
    public var size: Int64
}

extension S3Client {
    /// ListObjectsV2, every page: objects under `prefix` in key order, and with a `delimiter`
    /// the common prefixes ("directories") one level down.
    public func listObjects(bucket: String, prefix: String, delimiter: String? = nil, pageSize: Int = 1000) async throws -> (objects: [S3ObjectSummary], commonPrefixes: [String]) {
        var objects: [S3ObjectSummary] = []
        var prefixes: [String] = []
        var token: String?
        repeat {
            var items: [(String, String)] = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url"), ("max-keys", String(pageSize))]
            if let d = delimiter { items.append(("delimiter", d)) }
            if let t = token { items.append(("continuation-token", t)) }
            let call = Call(method: "GET", bucket: bucket, query: AWSURI.query(items))
            let answer = try await send(call)
            guard answer.response.isSuccess else { throw failure(call, answer) }
            let page = try S3Client.parse(answer, call)
            let urlEncoded = page.text("EncodingType") == "url"
            func key(_ s: String) -> String { urlEncoded ? (s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s) : s }
            for c in page.all("Contents") {
                guard let k = c.text("Key") else { continue }
                objects.append(S3ObjectSummary(key: key(k), etag: c.text("ETag") ?? "", size: Int64(c.text("Size") ?? "") ?? 0))
            }
            for p in page.all("CommonPrefixes") {
                if let k = p.text("Prefix") { prefixes.append(key(k)) }
            }
            token = page.text("IsTruncated") == "true" ? page.text("NextContinuationToken") : nil
        } while token != nil
        return (objects, prefixes)
    }
}
