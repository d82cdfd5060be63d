import EmoPipeCore
import Testing

@Suite struct TimestampTests {
    @Test func secondsTextHasNoTrailingZerosAndIsExact() {
        #expect(Timestamp(microseconds: 0).secondsText == "0")
        #expect(Timestamp(microseconds: 1_500_000).secondsText == "1.5")
        #expect(Timestamp(microseconds: 33).secondsText == "0.000033")
        #expect(Timestamp(microseconds: 12_000_000).secondsText == "12")
        #expect(Timestamp(microseconds: -250_000).secondsText == "-0.25")
    }

    @Test func sampleTimesDoNotDrift() {
        // One hour of 16 kHz audio in 160-sample hops lands exactly on 3600 s.
        #expect(Timestamp(sample: 16_000 * 3600, rate: 16_000).microseconds == 3_600_000_000)
        // 44.1 kHz: sample 441 is exactly 10 ms; sample 1 rounds down to 22 us.
        #expect(Timestamp(sample: 441, rate: 44_100).microseconds == 10_000)
        #expect(Timestamp(sample: 1, rate: 44_100).microseconds == 22)
    }
}
