import CGit2
import Foundation
import RikerCore

/// Which certificate authorities libgit2 trusts for `https://` fetches. By default it is the
/// system's bundle (`/etc/ssl/certs/ca-certificates.crt` on Debian), enough for github.com.
public enum GitTLS {
    /// Trusts the PEM certificates in `file` and/or the hashed directory `directory` instead of
    /// the system's bundle, for every later fetch in this process (for a GitHub Enterprise
    /// server behind a private CA, give a bundle that also holds the public CAs still needed).
    /// Throws `.git` when libgit2 cannot load them.
    public static func trustCertificates(file: URL?, directory: URL? = nil) throws {
        GitLibrary.ensureInitialized()
        try gitCheck(riker_git_opts_set_ssl_cert_locations(file?.path, directory?.path),
                     "cannot load CA certificates from \([file?.path, directory?.path].compactMap { $0 }.joined(separator: " and "))")
    }
}
