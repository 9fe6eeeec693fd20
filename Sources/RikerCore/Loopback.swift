import Foundation

/// TCP on 127.0.0.1: is a port free, does something listen, which port is free now.
public enum Loopback {
    /// True when a socket can be bound to 127.0.0.1:`port` right now.
    public static func canBind(_ port: Int) -> Bool { withSocket(port) { bind($0, $1, $2) } == 0 }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(_ port: Int) -> Bool { withSocket(port) { connect($0, $1, $2) } == 0 }

    /// A port the kernel just handed out for 127.0.0.1 (bind to 0, read it back, close).
    public static func freePort() -> Int {
        var chosen = 0
        _ = withSocket(0) { fd, addr, len in
            guard bind(fd, addr, len) == 0 else { return -1 }
            var out = sockaddr_in()
            var outLen = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &outLen) } }
            chosen = Int(UInt16(bigEndian: out.sin_port))
            return 0
        }
        return chosen
    }

    private static func withSocket(_ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
