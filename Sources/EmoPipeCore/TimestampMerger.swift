import DequeModule

/// Merges several timestamp-ordered input streams into one deterministic order: (timestamp,
/// input index). A packet at time t is released only when every other input has reached t
/// (a queued packet, a timestamp bound, or its end), MediaPipe's default input policy. The
/// result is the same whatever the thread timing of the producers.
///
/// With `arrivalOrder` (live fusion stages), packets go in the order they were pushed, whatever
/// their timestamps: nothing waits for a slower input.
///
/// A pure state machine: no locks, no threads; `Inbox` wraps it for the scheduler.
public struct TimestampMerger: Sendable {
    /// What the consumer should do next.
    public enum Next: Equatable, Sendable {
        /// Process this packet from input `input`.
        case deliver(Packet, input: Int)
        /// Some input has not reached the next timestamp yet; wait for more events.
        case waiting
        /// Every input has ended and everything was delivered.
        case finished
    }

    private var queues: [Deque<StreamEvent>]
    private var ended: [Bool]
    /// Per input, the earliest timestamp its next packet can have.
    private var lowerBounds: [Timestamp?]
    private let arrivalOrder: Bool
    /// With `arrivalOrder`: the input of each queued packet, in push order.
    private var arrivals = Deque<Int>()

    public init(inputs: Int, arrivalOrder: Bool = false) {
        queues = Array(repeating: Deque(), count: inputs)
        ended = Array(repeating: false, count: inputs)
        lowerBounds = Array(repeating: nil, count: inputs)
        self.arrivalOrder = arrivalOrder
    }

    /// Number of inputs merged.
    public var inputCount: Int { queues.count }

    /// Events queued for input `input` (packets and bounds not yet consumed).
    public func queuedCount(_ input: Int) -> Int { queues[input].count }

    /// Appends an event that arrived on input `input`.
    public mutating func push(_ event: StreamEvent, input: Int) {
        queues[input].append(event)
        if arrivalOrder, case .packet = event { arrivals.append(input) }
    }

    /// Removes the oldest packet queued on `input` (real-time runs shed old video frames this
    /// way); returns whether there was one.
    @discardableResult
    public mutating func dropOldest(_ input: Int) -> Bool {
        guard let index = queues[input].firstIndex(where: { if case .packet = $0 { true } else { false } }) else { return false }
        queues[input].remove(at: index)
        if arrivalOrder, let position = arrivals.firstIndex(of: input) { arrivals.remove(at: position) }
        return true
    }

    /// Whether input `input` has ended and been drained.
    public func hasEnded(_ input: Int) -> Bool { ended[input] }

    /// Takes the next deliverable packet, if the inputs allow one.
    public mutating func next() -> Next {
        switch nextInput() {
        case .deliver(let input):
            guard case .packet(let packet) = queues[input].removeFirst() else {
                preconditionFailure("the chosen head is a packet")
            }
            raiseBound(input, to: packet.timestamp)
            if arrivalOrder { arrivals.removeFirst() }
            return .deliver(packet, input: input)
        case .waiting: return .waiting
        case .finished: return .finished
        }
    }

    /// Whether `next()` would deliver a packet now (without taking it).
    public mutating func hasDeliverable() -> Bool {
        if case .deliver = nextInput() { return true }
        return false
    }

    /// Whether `next()` would return `.waiting` now: no packet may go yet and not every input
    /// has ended.
    public mutating func wouldWait() -> Bool {
        if case .waiting = nextInput() { return true }
        return false
    }

    private enum Choice { case deliver(Int), waiting, finished }

    /// The input whose head packet goes next, if the other inputs allow it.
    private mutating func nextInput() -> Choice {
        for input in queues.indices { consumeControlEvents(input) }
        if arrivalOrder {
            if let input = arrivals.first { return .deliver(input) }
            return ended.allSatisfy { $0 } ? .finished : .waiting
        }
        var candidate: (timestamp: Timestamp, input: Int)?
        for input in queues.indices {
            guard case .packet(let packet)? = queues[input].first else { continue }
            if candidate == nil || packet.timestamp < candidate!.timestamp {
                candidate = (packet.timestamp, input)
            }
        }
        guard let candidate else {
            return ended.allSatisfy { $0 } ? .finished : .waiting
        }
        for other in queues.indices where other != candidate.input && !ended[other] && queues[other].isEmpty {
            // The other input's next packet may still come before the candidate.
            guard let bound = lowerBounds[other] else { return .waiting }
            if bound < candidate.timestamp || (bound == candidate.timestamp && other < candidate.input) {
                return .waiting
            }
        }
        return .deliver(candidate.input)
    }

    /// Consumes bounds and end markers at the head of an input's queue.
    private mutating func consumeControlEvents(_ input: Int) {
        while let head = queues[input].first {
            switch head {
            case .packet:
                return
            case .bound(let bound):
                raiseBound(input, to: bound)
                queues[input].removeFirst()
            case .end:
                ended[input] = true
                queues[input].removeFirst()
            }
        }
    }

    private mutating func raiseBound(_ input: Int, to timestamp: Timestamp) {
        if let current = lowerBounds[input], current >= timestamp { return }
        lowerBounds[input] = timestamp
    }
}
