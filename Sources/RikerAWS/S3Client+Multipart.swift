import Crypto
import Foundation
import RikerCore
import RikerHTTP

extension S3Client {
    /// CreateMultipartUpload → parts (at most `maxConcurrentParts` in flight, each streamed from
    /// its region of the file) → CompleteMultipartUpload. Any failure aborts the upload.
    func multipartUpload(bucket: String, key: String, file: URL, size: Int64, partHashes: [String],
                         tags: [String: String], metadata: [String: String]) async throws {
        let create = Call(method: "POST", bucket: bucket, key: key, query: "uploads",
                          headers: uploadHeaders(tags: tags, metadata: metadata, contentType: nil))
        let created = try await send(create)
        guard created.response.isSuccess, let uploadId = try S3Client.parse(created, create).text("UploadId") else {
            throw failure(create, created)
        }
        do {
            let etags = try await uploadParts(bucket: bucket, key: key, uploadId: uploadId, file: file, size: size, partHashes: partHashes)
            let xml = "<CompleteMultipartUpload>" + etags.enumerated().map {
                "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(AWSXMLElement.escape($0.element))</ETag></Part>"
            }.joined() + "</CompleteMultipartUpload>"
            let complete = Call(method: "POST", bucket: bucket, key: key, query: AWSURI.query([("uploadId", uploadId)]),
                                headers: ["Content-Type": "application/xml"], body: .data(Data(xml.utf8)), large: true)
            let done = try await send(complete)
            // S3 may answer 200 and still report an error in the body.
            let body = String(decoding: done.response.body, as: UTF8.self)
            guard done.response.isSuccess, !body.contains("<Error>") else {
                var answer = done
                if answer.response.isSuccess { answer.response.status = 500 }
                throw failure(complete, answer)
            }
        } catch {
            await abortMultipart(bucket: bucket, key: key, uploadId: uploadId)
            throw error
        }
    }

    private func uploadParts(bucket: String, key: String, uploadId: String, file: URL, size: Int64, partHashes: [String]) async throws -> [String] {
        let partSize = configuration.partSize
        let count = Int((size + partSize - 1) / partSize)
        var etags = [String](repeating: "", count: count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            func addPart() {
                let index = next
                next += 1
                group.addTask {
                    let offset = Int64(index) * partSize
                    let length = min(partSize, size - offset)
                    let call = Call(method: "PUT", bucket: bucket, key: key,
                                    query: AWSURI.query([("partNumber", String(index + 1)), ("uploadId", uploadId)]),
                                    body: .file(file, offset: offset, length: length),
                                    payloadHash: index < partHashes.count ? partHashes[index] : "UNSIGNED-PAYLOAD", large: true)
                    let answer = try await self.send(call)
                    guard answer.response.isSuccess, let etag = answer.response.headers["etag"] else {
                        throw self.failure(call, answer)
                    }
                    return (index, etag)
                }
            }
            while next < min(count, configuration.maxConcurrentParts) { addPart() }
            while let (index, etag) = try await group.next() {
                etags[index] = etag
                if next < count { addPart() }
            }
        }
        return etags
    }

    /// Best effort: the original error matters more than a failed abort.
    func abortMultipart(bucket: String, key: String, uploadId: String) async {
        let call = Call(method: "DELETE", bucket: bucket, key: key, query: AWSURI.query([("uploadId", uploadId)]))
        _ = try? await send(call)
    }

    /// Multipart uploads still open under `prefix` (orphans, if any abort failed).
    public func listMultipartUploads(bucket: String, prefix: String) async throws -> [(key: String, uploadId: String)] {
        let call = Call(method: "GET", bucket: bucket, query: AWSURI.query([("prefix", prefix), ("uploads", "")]))
        let answer = try await send(call)
        guard answer.response.isSuccess else { throw failure(call, answer) }
        return try S3Client.parse(answer, call).all("Upload").compactMap { u in
            guard let k = u.text("Key"), let id = u.text("UploadId") else { return nil }
            return (k, id)
        }
    }
}
