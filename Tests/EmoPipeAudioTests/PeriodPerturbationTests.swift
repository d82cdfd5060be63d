@testable import EmoPipeAudio
import Foundation
import Testing

/// Jitter and shimmer by period matching, against signals with known answers.
@Suite struct PeriodPerturbationTests {
    /// A pulse train (a sharp decaying pulse per period), 60 ms at 16 kHz: periods alternate
    /// between `period - delta` and `period + delta` samples, amplitudes between 1 and `ratio`.
    private func pulses(period: Int, delta: Int = 0, ratio: Float = 1, count: Int = 960) -> [Float] {
        var samples = [Float](repeating: 0, count: count)
        var start = 0, index = 0
        while start < count {
            let amplitude: Float = index % 2 == 0 ? 1 : ratio
            for offset in 0..<min(period / 2, count - start) { samples[start + offset] = amplitude * Float(exp(-Double(offset) / 6)) }
            start += period + (index % 2 == 0 ? -delta : delta)
            index += 1
        }
        return samples
    }

    private func measure(_ samples: [Float], frequency: Double) throws -> (jitter: Double, shimmerDB: Double) {
        try #require(samples.withUnsafeBufferPointer { PeriodPerturbation().measure($0, sampleRate: 16000, frequency: frequency) })
    }

    @Test func alternatingPeriodsGiveTheirJitter() throws {
        // Periods 98, 102, 98, ...: mean |dT| = 4, mean T = 100, jitter 0.04.
        let result = try measure(pulses(period: 100, delta: 2), frequency: 160)
        #expect(abs(result.jitter - 0.04) < 0.006, "jitter \(result.jitter)")
        // A steady train has none.
        #expect(try measure(pulses(period: 100), frequency: 160).jitter < 0.002)
    }

    @Test func alternatingAmplitudesGiveTheirShimmer() throws {
        // Peak-to-peak 1 and 0.8 in turn: |20 log10(0.8)| = 1.94 dB every period.
        let result = try measure(pulses(period: 100, ratio: 0.8), frequency: 160)
        #expect(abs(result.shimmerDB - 1.938) < 0.1, "shimmer \(result.shimmerDB) dB")
        #expect(result.jitter < 0.002, "jitter \(result.jitter)")
    }

    @Test func jitterStaysAFractionWhateverTheInput() {
        // Noise, and tones whose true period lies just outside the +-10% searched around the
        // F0 given: the best lag then sits at the range's edge. Jitter is a mean absolute
        // period change over the mean period: never negative, and bounded by the search range.
        var seeded = SeededGenerator(seed: 7)
        var measured = 0
        for trial in 0..<400 {
            let frequency = Double.random(in: 80...400, using: &seeded)
            let samples: [Float]
            if trial % 2 == 0 {
                samples = (0..<960).map { _ in Float.random(in: -1...1, using: &seeded) }
            } else {
                let truth = frequency * (trial % 4 == 1 ? 1.13 : 0.88)
                samples = (0..<960).map { Float(sin(2 * Double.pi * truth * Double($0) / 16000)) + Float.random(in: -0.3...0.3, using: &seeded) }
            }
            guard let result = samples.withUnsafeBufferPointer({ PeriodPerturbation().measure($0, sampleRate: 16000, frequency: frequency) }) else { continue }
            measured += 1
            #expect(result.jitter >= 0 && result.jitter < 0.35, "trial \(trial), F0 \(frequency) Hz: jitter \(result.jitter)")
        }
        // The tones are periodic enough to be measured (noise mostly is not).
        #expect(measured >= 100, "only \(measured) of 400 inputs measured")
    }
}
