import Synchronization

/// A flag that asks sources to stop reading (SIGINT, or a failure elsewhere in the graph).
public final class CancellationFlag: Sendable {
    private let state = Mutex(false)
    private let parent: CancellationFlag?

    /// - Parameter parent: a flag whose cancellation also cancels this one.
    public init(parent: CancellationFlag? = nil) { self.parent = parent }

    /// Whether a stop was requested here or on the parent.
    public var isCancelled: Bool { state.withLock { $0 } || (parent?.isCancelled ?? false) }

    /// Asks every source that checks this flag to stop.
    public func cancel() { state.withLock { $0 = true } }
}
