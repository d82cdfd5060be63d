import Foundation

/// The bounded input edges of one stage, merged by timestamp. Thread-safe and blocking.
///
/// Back-pressure: a producer pushing onto an edge that holds `capacity` events waits until the
/// consumer takes one, all the way back to the decoder. One exception keeps multi-input graphs
/// from deadlocking: while the consumer is starved (waiting for another input to reach the next
/// timestamp), producers are not held back, as MediaPipe grows a queue to break a deadlock. The
/// queues then grow only by the skew between the inputs' timestamps.
///
/// A producer held back by a full edge is woken when the edge has drained to half its capacity,
/// not on every packet taken: it then refills half an edge in one go, instead of trading one
/// thread switch per packet with the consumer (a low watermark, as in pipe buffers).
final class Inbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var merger: TimestampMerger
    private let capacities: [Int]
    private var consumerStarved = false
    private var closed = false
    /// Per input: shed packets instead of waiting when the edge is full (real-time mode).
    private let droppable: [Bool]
    /// Packets shed so far.
    private(set) var dropped = 0

    init(capacities: [Int], droppable: [Bool]? = nil) {
        self.capacities = capacities
        self.droppable = droppable ?? Array(repeating: false, count: capacities.count)
        merger = TimestampMerger(inputs: capacities.count)
    }

    /// Packets shed so far (thread-safe).
    var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// Appends `event` to input `input`, waiting while that edge is full. Returns at once, dropping
    /// the event, once the inbox is closed (the run failed).
    func push(_ event: StreamEvent, input: Int) {
        condition.lock()
        defer { condition.unlock() }
        if droppable[input], case .packet = event, !closed, !consumerStarved, merger.queuedCount(input) >= capacities[input] {
            // Real time: a slow consumer sheds the newest packet rather than holding back the source.
            dropped += 1
            return
        }
        while !closed && !consumerStarved && merger.queuedCount(input) >= capacities[input] {
            condition.wait()
        }
        guard !closed else { return }
        merger.push(event, input: input)
        // The consumer has something to do again: hold producers back from now on, not from
        // whenever its thread gets to run.
        if consumerStarved && merger.hasDeliverable() { consumerStarved = false }
        condition.broadcast()
    }

    /// The next packet in merged order, waiting for one; nil once every input has ended or the
    /// inbox was closed.
    func next() -> (packet: Packet, input: Int)? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if closed { return nil }
            switch merger.next() {
            case .deliver(let packet, let input):
                consumerStarved = false
                if merger.queuedCount(input) <= capacities[input] / 2 { condition.broadcast() }
                return (packet, input)
            case .finished:
                return nil
            case .waiting:
                if !consumerStarved {
                    consumerStarved = true
                    condition.broadcast()
                }
                condition.wait()
            }
        }
    }

    /// Wakes everyone and makes pushes no-ops and `next` return nil (the run is failing).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
