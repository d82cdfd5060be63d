import Foundation

/// The bounded input edges of one stage, merged by timestamp. Thread-safe and blocking.
///
/// Back-pressure: a producer pushing onto an edge that holds `capacity` events waits until the
/// consumer takes one, all the way back to the decoder. One exception keeps multi-input graphs
/// from deadlocking: while the consumer is starved (waiting for another input to reach the next
/// timestamp), producers are not held back, as MediaPipe grows a queue to break a deadlock. The
/// queues then grow only by the skew between the inputs' timestamps.
///
/// Thread switches are batched both ways, as pipe buffers do with watermarks:
/// - A producer held back by a full edge is woken when the edge has drained to half its
///   capacity, not on every packet taken; it then refills half an edge in one go.
/// - A push may defer waking a waiting consumer (`deferWake`) until its edge holds half its
///   capacity, or until the producer flushes (`flushWake`) because it is about to wait itself,
///   has spent long on a packet, or has ended. A stage emitting a packet per frame therefore
///   hands its consumer a batch of frames per switch instead of trading one switch per packet,
///   and yet never leaves a packet unannounced while it is idle.
/// - A push wakes a waiting consumer only when the consumer can then proceed: while it waits
///   for a slower input, the faster inputs' packets queue up without waking it each time.
/// - Wakes are signalled after the lock is released (except right before the signaller waits
///   itself, which releases it at once): a thread woken while the signaller still held the lock
///   would run, block on the lock and switch straight back, two wasted switches per wake on one
///   core.
final class Inbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var merger: TimestampMerger
    private let capacities: [Int]
    private var consumerStarved = false
    private var closed = false
    /// The consumer is blocked in `next`, waiting for a deliverable packet.
    private var consumerWaiting = false
    /// Producers blocked in `push` on a full edge.
    private var producersWaiting = 0
    /// A deferred push has not woken the waiting consumer yet.
    private var wakePending = false
    /// Per input: shed the oldest queued packet instead of waiting when the edge is full
    /// (real-time mode, video edges).
    private let droppable: [Bool]
    /// Packets shed so far.
    private(set) var dropped = 0
    /// Pushes and flushes that woke a waiting consumer (for tests).
    private var consumerWakes = 0

    init(capacities: [Int], droppable: [Bool]? = nil, arrivalOrder: Bool = false) {
        self.capacities = capacities
        self.droppable = droppable ?? Array(repeating: false, count: capacities.count)
        merger = TimestampMerger(inputs: capacities.count, arrivalOrder: arrivalOrder)
    }

    /// Whether the consumer is blocked in `next` (thread-safe; for tests).
    var isConsumerWaiting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return consumerWaiting
    }

    /// How many pushes and flushes have woken a waiting consumer (thread-safe; for tests).
    var consumerWakeCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return consumerWakes
    }

    /// Packets shed so far (thread-safe).
    var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// Appends `event` to input `input`, waiting while that edge is full. Returns at once, dropping
    /// the event, once the inbox is closed (the run failed).
    ///
    /// - Parameters:
    ///   - deferWake: leave a waiting consumer asleep until the edge holds half its capacity or
    ///     `flushWake` is called; the caller must call `flushWake` before it waits or ends.
    ///   - beforeWaiting: called (with no lock held) before the push blocks on a full edge, so the
    ///     producer can flush its other deferred wakes first.
    /// - Returns: whether a wake is pending (the caller owes a `flushWake`).
    @discardableResult
    func push(_ event: StreamEvent, input: Int, deferWake: Bool = false, beforeWaiting: (() -> Void)? = nil) -> Bool {
        condition.lock()
        var wake = false
        defer {
            condition.unlock()
            if wake { condition.broadcast() }
        }
        if droppable[input], case .packet = event, !closed, !consumerStarved, merger.queuedCount(input) >= capacities[input],
           merger.dropOldest(input) {
            // Real time: a slow consumer sheds the oldest queued frame rather than holding back
            // the source; the newest goes in, so what it works on stays current.
            dropped += 1
        }
        var beforeWaiting = beforeWaiting
        while !closed && !consumerStarved && merger.queuedCount(input) >= capacities[input] {
            if runUnlocked(&beforeWaiting) { continue }
            if consumerWaiting { condition.broadcast() }
            producersWaiting += 1
            condition.wait()
            producersWaiting -= 1
        }
        guard !closed else { return false }
        merger.push(event, input: input)
        // The consumer has something to do again: hold producers back from now on, not from
        // whenever its thread gets to run.
        if consumerStarved && merger.hasDeliverable() { consumerStarved = false }
        // A consumer waiting for another input (a slower producer) would find nothing to take:
        // it sleeps on until a push lets it proceed.
        guard consumerWaiting, !merger.wouldWait() else { return false }
        if deferWake, case .packet = event, merger.queuedCount(input) < max(1, capacities[input] / 2) {
            wakePending = true
        } else {
            wakePending = false
            wake = true
            consumerWakes += 1
        }
        return wakePending
    }

    /// Wakes the consumer if a deferred push left it asleep.
    func flushWake() {
        condition.lock()
        var wake = false
        defer {
            condition.unlock()
            if wake { condition.broadcast() }
        }
        guard wakePending else { return }
        wakePending = false
        wake = consumerWaiting
        if wake { consumerWakes += 1 }
    }

    /// The next packet in merged order, waiting for one; nil once every input has ended or the
    /// inbox was closed. `beforeWaiting` is called (with no lock held) before the consumer blocks,
    /// so it can flush the wakes its own pushes deferred.
    func next(beforeWaiting: (() -> Void)? = nil) -> (packet: Packet, input: Int)? {
        condition.lock()
        var wake = false
        defer {
            condition.unlock()
            if wake { condition.broadcast() }
        }
        var beforeWaiting = beforeWaiting
        while true {
            if closed { return nil }
            switch merger.next() {
            case .deliver(let packet, let input):
                consumerStarved = false
                wake = producersWaiting > 0 && merger.queuedCount(input) <= capacities[input] / 2
                return (packet, input)
            case .finished:
                return nil
            case .waiting:
                if runUnlocked(&beforeWaiting) { continue }
                if !consumerStarved {
                    consumerStarved = true
                    if producersWaiting > 0 { condition.broadcast() }
                }
                consumerWaiting = true
                condition.wait()
                consumerWaiting = false
            }
        }
    }

    /// Runs `action` (then clears it, so it runs once per call) with the lock released; returns
    /// whether it ran, in which case the caller must check its condition again.
    private func runUnlocked(_ action: inout (() -> Void)?) -> Bool {
        guard let pending = action else { return false }
        action = nil
        condition.unlock()
        pending()
        condition.lock()
        return true
    }

    /// Wakes everyone and makes pushes no-ops and `next` return nil (the run is failing).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
