import EmoPipeCore
import Testing

@Suite struct TimestampMergerTests {
    private func packet(_ microseconds: Int64, _ value: Float = 0) -> StreamEvent {
        .packet(Packet(timestamp: Timestamp(microseconds: microseconds), payload: .features(FeatureRow([value]))))
    }

    private func delivered(_ next: TimestampMerger.Next) -> (Int64, Int)? {
        guard case .deliver(let packet, let input) = next else { return nil }
        return (packet.timestamp.microseconds, input)
    }

    @Test func releasesInTimestampOrderWithTiesToTheLowerInput() {
        var merger = TimestampMerger(inputs: 2)
        merger.push(packet(10), input: 1)
        merger.push(packet(20), input: 1)
        merger.push(.end, input: 1)
        merger.push(packet(10), input: 0)
        merger.push(packet(30), input: 0)
        merger.push(.end, input: 0)
        var order: [(Int64, Int)] = []
        while let next = delivered(merger.next()) { order.append(next) }
        #expect(order.map(\.0) == [10, 10, 20, 30])
        #expect(order.map(\.1) == [0, 1, 1, 0])
        #expect(merger.next() == .finished)
    }

    /// Live fusion stages: packets go in push order, whatever their times; nothing waits.
    @Test func arrivalOrderDeliversAsPushedWithoutWaiting() {
        var merger = TimestampMerger(inputs: 2, arrivalOrder: true)
        merger.push(packet(50), input: 0)
        #expect(delivered(merger.next())! == (50, 0), "input 1 has sent nothing: no wait")
        merger.push(.bound(Timestamp(microseconds: 70)), input: 1)
        merger.push(packet(70), input: 1)
        merger.push(packet(20), input: 1)
        merger.push(packet(60), input: 0)
        #expect(merger.next() == .deliver(Packet(timestamp: Timestamp(microseconds: 70), payload: .features(FeatureRow([0]))), input: 1))
        #expect(delivered(merger.next())! == (20, 1), "a late packet still goes, in its turn")
        #expect(delivered(merger.next())! == (60, 0))
        #expect(merger.next() == .waiting)
        merger.push(.end, input: 0)
        merger.push(.end, input: 1)
        #expect(merger.next() == .finished)
    }

    /// Real-time video edges shed the oldest queued frame.
    @Test func dropOldestRemovesTheOldestQueuedPacket() {
        for arrival in [false, true] {
            var merger = TimestampMerger(inputs: 1, arrivalOrder: arrival)
            for time in [10, 20, 30] as [Int64] { merger.push(packet(time), input: 0) }
            let dropped = merger.dropOldest(0)
            #expect(dropped && merger.queuedCount(0) == 2)
            #expect(delivered(merger.next())! == (20, 0))
            #expect(delivered(merger.next())! == (30, 0))
            let droppedAgain = merger.dropOldest(0)
            #expect(!droppedAgain)
        }
    }

    @Test func waitsUntilEveryOpenInputHasReachedTheTime() {
        var merger = TimestampMerger(inputs: 2)
        merger.push(packet(50), input: 0)
        #expect(merger.next() == .waiting, "input 1 might still send something before 50")
        merger.push(packet(60), input: 1)
        #expect(delivered(merger.next())! == (50, 0))
        #expect(merger.next() == .waiting, "input 0 might still send something before 60")
        merger.push(.end, input: 0)
        #expect(delivered(merger.next())! == (60, 1))
        #expect(merger.next() == .waiting)
        merger.push(.end, input: 1)
        #expect(merger.next() == .finished)
    }

    @Test func aTimestampBoundReleasesEarlierPacketsOfOtherInputs() {
        var merger = TimestampMerger(inputs: 2)
        merger.push(packet(100), input: 0)
        merger.push(.bound(Timestamp(microseconds: 100)), input: 1)
        // Input 1 promises nothing before 100; a packet of its at 100 would come after input 0's.
        #expect(delivered(merger.next())! == (100, 0))
        merger.push(packet(150), input: 0)
        #expect(merger.next() == .waiting)
        merger.push(.bound(Timestamp(microseconds: 200)), input: 1)
        #expect(delivered(merger.next())! == (150, 0))
    }

    @Test func aBoundAtTheSameTimeOnALowerInputStillHoldsBack() {
        var merger = TimestampMerger(inputs: 2)
        merger.push(packet(100), input: 1)
        merger.push(.bound(Timestamp(microseconds: 100)), input: 0)
        #expect(merger.next() == .waiting, "input 0 may still send a packet at 100, which goes first")
        merger.push(.bound(Timestamp(microseconds: 101)), input: 0)
        #expect(delivered(merger.next())! == (100, 1))
    }

    @Test func aSingleInputIsPassedThroughInOrder() {
        var merger = TimestampMerger(inputs: 1)
        for time in [0, 0, 5, 9] as [Int64] { merger.push(packet(time), input: 0) }
        var times: [Int64] = []
        while let next = delivered(merger.next()) { times.append(next.0) }
        #expect(times == [0, 0, 5, 9])
        #expect(merger.next() == .waiting)
    }

    @Test func hasDeliverableLooksWithoutTaking() {
        var merger = TimestampMerger(inputs: 2)
        merger.push(packet(5), input: 0)
        let early = merger.hasDeliverable()
        #expect(!early, "input 1 has not reached 5")
        merger.push(packet(7), input: 1)
        let first = merger.hasDeliverable(), second = merger.hasDeliverable()
        #expect(first && second, "asking twice takes nothing")
        #expect(delivered(merger.next())! == (5, 0))
    }
}
