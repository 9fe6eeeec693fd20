import CCurl
import RikerCore

/// libcurl's process-wide setup, done once (lazily, thread-safely) before the first handle is made.
enum CurlGlobal {
    private static let initialised: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    static func ensure() throws {
        let code = initialised
        guard code == CURLE_OK else {
            throw RikerError(.http, "cannot initialise libcurl: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}
