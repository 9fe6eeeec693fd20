import Foundation
import RikerCore
import RikerHTTP

/// AWS's answer to a failed query action, from either error document:
/// `<ErrorResponse><Error><Code/><Message/></Error>…` (Auto Scaling, ELBv2) or
/// `<Response><Errors><Error><Code/><Message/></Error></Errors>…` (EC2).
struct AWSQueryError {
    var status: Int
    var code: String?
    var message: String?

    init(_ response: HTTPResponse) {
        status = response.status
        if let root = try? AWSXMLElement.parse(response.body), let error = root.first(named: "Error") {
            code = error.text("Code").flatMap { $0.isEmpty ? nil : $0 }
            message = error.text("Message").flatMap { $0.isEmpty ? nil : $0 }
        } else if !response.body.isEmpty {
            // Not XML (a proxy's error page): keep a short, single-line excerpt.
            let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            message = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        }
    }

    /// Codes AWS uses for "slow down" and "try again".
    static let transientCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "RequestThrottled",
        "RequestLimitExceeded", "TooManyRequestsException", "EC2ThrottledException", "SlowDown", "PriorRequestNotComplete",
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable",
    ]

    static let credentialCodes: Set<String> = [
        "SignatureDoesNotMatch", "InvalidClientTokenId", "AuthFailure", "UnrecognizedClientException", "IncompleteSignature",
        "MissingAuthenticationToken", "InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OptInRequired",
    ]

    static let inputCodes: Set<String> = [
        "ValidationError", "InvalidParameterValue", "InvalidParameterCombination", "InvalidParameter",
        "MissingParameter", "MalformedQueryString", "InvalidAction", "InvalidQueryParameter",
    ]

    /// Worth another try: any 5xx, and the throttling family whatever its status.
    var isRetryable: Bool { status >= 500 || code.map(Self.transientCodes.contains) == true }

    /// The error to throw for `what` (service, action and input) after `attempts` tries.
    func rikerError(_ what: String, attempts: Int) -> RikerError {
        var text = "\(what): HTTP \(status)"
        if let code { text += " \(code)" }
        if let message { text += ": \(message)" }
        if attempts > 1 { text += " (after \(attempts) tries)" }
        let c = code ?? ""
        if status == 403 || Self.credentialCodes.contains(c) {
            switch c {
            case "SignatureDoesNotMatch": text += " (check AWS_SECRET_ACCESS_KEY for the access key in use)"
            case "InvalidClientTokenId", "InvalidAccessKeyId", "AuthFailure": text += " (check AWS_ACCESS_KEY_ID or the profile in use)"
            case "ExpiredToken", "ExpiredTokenException", "RequestExpired": text += " (the credentials or the clock are out of date)"
            default: break
            }
            return RikerError(.permissionDenied, text)
        }
        if status == 404 || c.hasSuffix("NotFound") || c.contains(".NotFound") || c.contains("NonExistent") || c.hasSuffix("DoesNotExist") {
            return RikerError(.notFound, text)
        }
        if Self.inputCodes.contains(c) || c.hasPrefix("Invalid") { return RikerError(.invalidInput, text) }
        return RikerError(.aws, text)
    }
}
