import RikerCore

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() -> Int { Loopback.freePort() }
