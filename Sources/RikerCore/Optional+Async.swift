extension Optional {
    /// `map` for an async transform (Swift's `Optional.map` takes a synchronous one).
    public func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let wrapped): return try await transform(wrapped)
        case .none: return nil
        }
    }
}
