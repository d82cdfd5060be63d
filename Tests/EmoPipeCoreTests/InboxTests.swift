@testable import EmoPipeCore
import Foundation
import Synchronization
import Testing

/// The inbox's batched wake-ups: deferred pushes wake a waiting consumer at half an edge or on
/// the producer's flush, and never leave a packet unannounced when the producer blocks.
@Suite struct InboxTests {
    private func packet(_ milliseconds: Int64) -> StreamEvent {
        .packet(Packet(timestamp: Timestamp(microseconds: milliseconds * 1000), payload: .features(FeatureRow([0]))))
    }

    /// A thread taking packets from an inbox until it ends, recording their times (ms).
    private final class Consumer: Sendable {
        let received = Mutex<[Int64]>([])
        let finished = DispatchSemaphore(value: 0)

        init(_ inbox: Inbox) {
            Thread.detachNewThread { [self] in
                while let (packet, _) = inbox.next() { received.withLock { $0.append(packet.timestamp.microseconds / 1000) } }
                finished.signal()
            }
        }
    }

    /// Polls (1 ms steps, at most 5 s) until the consumer blocks in `next`.
    private func untilConsumerWaits(_ inbox: Inbox) -> Bool {
        for _ in 0..<5000 {
            if inbox.isConsumerWaiting { return true }
            usleep(1000)
        }
        return false
    }

    /// Polls (1 ms steps, at most 5 s) until the consumer has received `count` packets.
    private func until(_ received: borrowing Mutex<[Int64]>, count: Int) -> [Int64] {
        for _ in 0..<5000 {
            let now = received.withLock { $0 }
            if now.count >= count { return now }
            usleep(1000)
        }
        return received.withLock { $0 }
    }

    @Test func deferredPushesWakeTheConsumerAtHalfAnEdgeOrOnFlush() {
        let inbox = Inbox(capacities: [8])
        let consumer = Consumer(inbox)
        #expect(untilConsumerWaits(inbox))
        // Below half the capacity (4) the consumer is owed a wake and left asleep ...
        #expect(inbox.push(packet(1), input: 0, deferWake: true))
        #expect(inbox.push(packet(2), input: 0, deferWake: true))
        #expect(inbox.push(packet(3), input: 0, deferWake: true))
        #expect(inbox.isConsumerWaiting)
        #expect(consumer.received.withLock { $0.isEmpty })
        // ... the fourth fills half the edge and wakes it: nothing is owed any more.
        #expect(!inbox.push(packet(4), input: 0, deferWake: true))
        #expect(until(consumer.received, count: 4) == [1, 2, 3, 4])
        #expect(untilConsumerWaits(inbox))
        // A flush hands over what a deferred push left.
        #expect(inbox.push(packet(5), input: 0, deferWake: true))
        inbox.flushWake()
        #expect(until(consumer.received, count: 5) == [1, 2, 3, 4, 5])
        #expect(untilConsumerWaits(inbox))
        // Immediate pushes (sources, live inputs) wake at once.
        #expect(!inbox.push(packet(6), input: 0))
        inbox.push(.end, input: 0)
        #expect(consumer.finished.wait(timeout: .now() + 5) == .success)
        #expect(consumer.received.withLock { $0 } == [1, 2, 3, 4, 5, 6])
    }

    @Test func aProducerFlushesItsOtherWakesBeforeBlockingOnAFullEdge() {
        let inbox = Inbox(capacities: [2])
        inbox.push(packet(1), input: 0, deferWake: true)
        inbox.push(packet(2), input: 0, deferWake: true)
        let calls = Mutex(0)
        // The edge is full and nobody consumes: the push must flush first, then wait (until the
        // inbox is closed).
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { inbox.close() }
        inbox.push(packet(3), input: 0, deferWake: true, beforeWaiting: { calls.withLock { $0 += 1 } })
        #expect(calls.withLock { $0 } == 1)
    }

    @Test func pushesDoNotWakeAConsumerWaitingForAnotherInput() {
        // Input 1 has sent nothing: packets on input 0 cannot go yet (input 1's next packet may
        // come earlier), so they queue without waking the consumer; input 1's packet lets the
        // consumer proceed and wakes it once.
        let inbox = Inbox(capacities: [64, 64])
        let consumer = Consumer(inbox)
        #expect(untilConsumerWaits(inbox))
        for time in 1...40 { #expect(!inbox.push(packet(Int64(time)), input: 0)) }
        #expect(inbox.consumerWakeCount == 0)
        #expect(inbox.isConsumerWaiting)
        inbox.push(packet(50), input: 1)
        #expect(until(consumer.received, count: 40) == Array(1...40))
        #expect(inbox.consumerWakeCount == 1)
        inbox.push(.end, input: 0)
        inbox.push(.end, input: 1)
        #expect(consumer.finished.wait(timeout: .now() + 5) == .success)
        #expect(consumer.received.withLock { $0 } == Array(1...40) + [50])
    }
}
