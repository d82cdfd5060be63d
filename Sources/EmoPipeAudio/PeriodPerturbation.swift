import EmoPipeDSP
import Foundation

/// Cycle-to-cycle perturbation of a voiced frame, measured on the waveform as openSMILE's
/// `cPitchJitter` does: starting at the largest sample of the first expected period, each next
/// period is the lag within +-`searchRange` of the expected one that best matches the previous
/// period (normalised cross-correlation >= `minCorrelation`, parabolic refinement).
///
/// - jitter (local): mean |T_i - T_{i-1}| / mean T_i (a fraction; Praat's jitter local).
/// - shimmer (local, dB): mean |20 log10(A_i / A_{i-1})|, A_i the peak-to-peak amplitude.
struct PeriodPerturbation {
    var searchRange = 0.1
    var minCorrelation = 0.5

    /// The smallest and largest of `count` (>= 1) samples, in SIMD lanes.
    @inline(__always)
    static func range(_ start: UnsafePointer<Float>, count: Int) -> (low: Float, high: Float) {
        let raw = UnsafeRawPointer(start), stride = MemoryLayout<Float>.stride
        var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
        var index = 0
        if count >= 8 {
            var lows = SIMD8<Float>(repeating: low), highs = SIMD8<Float>(repeating: high)
            while index + 8 <= count {
                let values = raw.loadUnaligned(fromByteOffset: index * stride, as: SIMD8<Float>.self)
                lows.replace(with: values, where: values .< lows)
                highs.replace(with: values, where: values .> highs)
                index += 8
            }
            low = lows.min()
            high = highs.max()
        }
        while index < count {
            low = min(low, start[index])
            high = max(high, start[index])
            index += 1
        }
        return (low, high)
    }

    /// Jitter and shimmer of `samples` at fundamental `frequency` Hz, nil with fewer than two
    /// periods found.
    func measure(_ samples: UnsafeBufferPointer<Float>, sampleRate: Double, frequency: Double) -> (jitter: Double, shimmerDB: Double)? {
        let period = sampleRate / frequency
        let length = Int(period.rounded())
        guard length >= 4, samples.count >= 2 * length + 2 else { return nil }
        var start = 0
        for index in 0..<length where samples[index] > samples[start] { start = index }
        var periods: [Double] = [], amplitudes: [Double] = []
        let shortest = max(2, Int((period * (1 - searchRange)).rounded(.down)))
        let longest = Int((period * (1 + searchRange)).rounded(.up))
        var position = Double(start)
        var scores = [Double](repeating: -1, count: longest + 2)
        while true {
            let here = Int(position.rounded())
            guard here + longest + length + 1 < samples.count else { break }
            // Normalised cross-correlation at each lag; the lagged window's energy slides.
            let base = samples.baseAddress!
            let energyA = DotProduct.of(base, here, here, count: length)
            var energyB = DotProduct.of(base, here + shortest - 1, here + shortest - 1, count: length)
            var best = -1
            for lag in (shortest - 1)...(longest + 1) {
                let product = DotProduct.of(base, here, here + lag, count: length)
                let norm = (Double(energyA) * Double(energyB)).squareRoot()
                scores[lag] = norm > 0 ? Double(product) / norm : 0
                if lag >= shortest, lag <= longest, best < 0 || scores[lag] > scores[best] { best = lag }
                let leaving = samples[here + lag], entering = samples[here + lag + length]
                energyB = max(0, energyB + entering * entering - leaving * leaving)
            }
            guard best > 0, scores[best] >= minCorrelation else { break }
            var refined = Double(best)
            let a = scores[best - 1], b = scores[best], c = scores[best + 1]
            let curvature = a - 2 * b + c
            // Only a local maximum is refined: its parabola's vertex lies within half a sample.
            // At the edge of the search range the neighbour outside may score higher, and an
            // almost straight line of scores would put the vertex anywhere (even a negative
            // period).
            if curvature < 0, b >= a, b >= c { refined += 0.5 * (a - c) / curvature }
            periods.append(refined)
            let (low, high) = Self.range(base + here, count: best)
            amplitudes.append(Double(high - low))
            position += refined
        }
        guard periods.count >= 2 else { return nil }
        var periodChange = 0.0, amplitudeChange = 0.0, amplitudePairs = 0
        for index in 1..<periods.count {
            periodChange += abs(periods[index] - periods[index - 1])
            if amplitudes[index] > 0, amplitudes[index - 1] > 0 {
                amplitudeChange += abs(20 * log10(amplitudes[index] / amplitudes[index - 1]))
                amplitudePairs += 1
            }
        }
        let meanPeriod = periods.reduce(0, +) / Double(periods.count)
        return (periodChange / Double(periods.count - 1) / meanPeriod,
                amplitudePairs > 0 ? amplitudeChange / Double(amplitudePairs) : 0)
    }
}
