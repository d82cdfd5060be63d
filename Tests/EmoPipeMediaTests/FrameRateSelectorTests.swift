@testable import EmoPipeMedia
import EmoPipeCore
import Testing

@Suite struct FrameRateSelectorTests {
    /// Feeds frames at `inputRate` for `count` frames; returns (input frame index, output time in us) pairs.
    private func select(inputRate: Double, outputRate: Double, count: Int, offset: Int64 = 0) -> [(Int, Int64)] {
        var selector = FrameRateSelector(rate: outputRate)
        var chosen: [(Int, Int64)] = []
        let time = { (index: Int) in Timestamp(microseconds: offset + Int64((Double(index) * 1e6 / inputRate).rounded())) }
        for index in 0..<count {
            for output in selector.frameArrived(at: time(index)) { chosen.append((index - 1, output.microseconds)) }
        }
        for output in selector.streamEnded(at: time(count)) { chosen.append((count - 1, output.microseconds)) }
        return chosen
    }

    @Test func halvingTheRateKeepsEveryOtherFrameOnExactTimes() {
        let chosen = select(inputRate: 30, outputRate: 15, count: 30)
        #expect(chosen.map(\.0) == Array(stride(from: 0, to: 30, by: 2)))
        #expect(chosen.map(\.1) == (0..<15).map { Int64((Double($0) * 1e6 / 15).rounded()) })
    }

    @Test func raisingTheRateRepeatsFrames() {
        let chosen = select(inputRate: 25, outputRate: 50, count: 10)
        #expect(chosen.count == 20)
        #expect(chosen.map(\.0) == (0..<10).flatMap { [$0, $0] })
    }

    @Test func outputsBeforeTheFirstFrameAreSkipped() {
        let chosen = select(inputRate: 10, outputRate: 10, count: 5, offset: 250_000)
        #expect(chosen.map(\.1) == [300_000, 400_000, 500_000, 600_000, 700_000])
        #expect(chosen.map(\.0) == [0, 1, 2, 3, 4])
    }
}
