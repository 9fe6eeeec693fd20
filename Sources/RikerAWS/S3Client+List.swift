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
            let xml = String(decoding: answer.response.body, as: UTF8.self)
            let urlEncoded = S3XML.first("EncodingType", in: xml) == "url"
            func key(_ s: String) -> String { urlEncoded ? (s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s) : s }
            for c in S3XML.blocks("Contents", in: xml) {
                guard let k = S3XML.first("Key", in: c) else { continue }
                objects.append(S3ObjectSummary(key: key(k), etag: S3XML.first("ETag", in: c) ?? "", size: Int64(S3XML.first("Size", in: c) ?? "") ?? 0))
            }
            for p in S3XML.blocks("CommonPrefixes", in: xml) {
                if let k = S3XML.first("Prefix", in: p) { prefixes.append(key(k)) }
            }
            token = S3XML.first("IsTruncated", in: xml) == "true" ? S3XML.first("NextContinuationToken", in: xml) : nil
        } while token != nil
        return (objects, prefixes)
    }
}
