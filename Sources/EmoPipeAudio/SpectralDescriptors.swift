import Foundation

/// Descriptors of one power spectrum, defined as openSMILE's `cSpectral` computes them for
/// eGeMAPS (Eyben et al. 2016), so that values are comparable with published eGeMAPS results.
/// The spectrum is of samples in [-1, 1]; bin k lies at k x binHz.
///
/// - `centroid`: power-weighted mean frequency (Hz).
/// - `rolloff`: lowest frequency below which `rolloffFraction` of the power lies (Hz).
/// - `flux`: root mean square difference between this and the previous frame's magnitude
///   spectrum over 0-5 kHz (unnormalised, so it grows with level, as openSMILE's); 0 on the
///   first frame.
/// - `slope0_500`, `slope500_1500`: regression slope of the dB power spectrum (floored at
///   -100 dB) against frequency over the band (dB/Hz), edge bins weighted by the fraction of
///   them inside the band, with openSMILE's weighting of the frequency sums.
/// - `alphaRatio`: power 1-5 kHz over power below 1 kHz (dB; negative for most speech).
/// - `hammarberg`: strongest bin below 2 kHz over strongest bin 2-5 kHz (dB).
struct SpectralDescriptors {
    static let names = ["centroid_hz", "rolloff_hz", "flux", "slope_0_500", "slope_500_1500",
                        "alpha_ratio_db", "hammarberg_db"]
    /// Power floor of the dB spectrum (-100 dB re full scale).
    static let powerFloor = 1e-10

    let binHz: Double
    let rolloffFraction: Double
    let fluxMaxHz: Double
    private var previous: [Float] = []
    private var current: [Float] = []

    init(sampleRate: Double, fftSize: Int, rolloffFraction: Double = 0.85, fluxMaxHz: Double = 5000) {
        binHz = sampleRate / Double(fftSize)
        self.rolloffFraction = rolloffFraction
        self.fluxMaxHz = fluxMaxHz
    }

    /// The descriptors of `power` (bins 0...n/2), in the order of `names`.
    mutating func compute(_ power: [Float]) -> [Float] {
        var total = 0.0, weighted = 0.0
        var low = 0.0, high = 0.0, lowPeak: Float = 0, highPeak: Float = 0
        var rolloff = 0.0
        // How many bins lie below 1 kHz and below 2 kHz, and at or below 5 kHz.
        let below1k = bins(below: 1000), below2k = bins(below: 2000), upTo5k = min(power.count, Int(5000 / binHz) + 1)
        power.withUnsafeBufferPointer { power in
            // One pass for the sums ...
            for bin in 0..<power.count {
                let value = Double(power[bin])
                total += value
                weighted += value * Double(bin)
            }
            // ... the band energies and peaks up to 5 kHz ...
            for bin in 0..<min(below1k, upTo5k) { low += Double(power[bin]) }
            for bin in min(below1k, upTo5k)..<upTo5k { high += Double(power[bin]) }
            for bin in 0..<min(below2k, upTo5k) { lowPeak = max(lowPeak, power[bin]) }
            for bin in min(below2k, upTo5k)..<upTo5k { highPeak = max(highPeak, power[bin]) }
            // ... and one up to the roll-off point.
            if total > 0 {
                var cumulative = 0.0
                for bin in 0..<power.count {
                    cumulative += Double(power[bin])
                    if cumulative >= rolloffFraction * total { rolloff = Double(bin) * binHz; break }
                }
            }
        }
        let centroid = total > 0 ? weighted * binHz / total : 0
        return [Float(centroid), Float(rolloff), flux(power), Float(slope(power, 0, 500)),
                Float(slope(power, 500, 1500)), Float(ratioDB(high, low)), Float(ratioDB(Double(lowPeak), Double(highPeak)))]
    }

    /// The number of bins whose frequency is below `hertz`.
    private func bins(below hertz: Double) -> Int { Int((hertz / binHz).rounded(.up)) }

    private func ratioDB(_ numerator: Double, _ denominator: Double) -> Double {
        guard denominator > 0 else { return 0 }
        return 10 * log10(max(numerator, Self.powerFloor) / denominator)
    }

    /// The band's slope of 10 log10(power) against frequency (dB/Hz), openSMILE's formula.
    private func slope(_ power: [Float], _ lowHz: Double, _ highHz: Double) -> Double {
        let left = lowHz / binHz, right = highHz / binHz
        var leftWeight = left.rounded(.up) - left, rightWeight = right - right.rounded(.down)
        if leftWeight == 0 { leftWeight = 1 }
        if rightWeight == 0 { rightWeight = 1 }
        let first = Int(left.rounded(.down)), last = min(power.count - 1, Int(right.rounded(.down)))
        guard last > first else { return 0 }
        func level(_ bin: Int) -> Double { Double(10 * log10f(max(power[bin], Float(Self.powerFloor)))) }
        var sumF = Double(first) * binHz * leftWeight
        var sumFF = sumF * sumF
        var sumFL = sumF * level(first), sumL = leftWeight * level(first)
        for bin in (first + 1)..<last {
            let frequency = Double(bin) * binHz
            sumF += frequency; sumFF += frequency * frequency
            sumFL += frequency * level(bin); sumL += level(bin)
        }
        let edge = Double(last) * binHz * rightWeight
        sumF += edge; sumFF += edge * edge
        sumFL += edge * level(last); sumL += rightWeight * level(last)
        let count = right - left
        let denominator = count * sumFF - sumF * sumF
        return denominator != 0 ? (count * sumFL - sumF * sumL) / denominator : 0
    }

    private mutating func flux(_ power: [Float]) -> Float {
        let count = min(power.count, Int(fluxMaxHz / binHz) + 1)
        if current.count != count { current = [Float](repeating: 0, count: count) }
        defer { swap(&previous, &current) }
        let first = previous.count != count
        var sum: Float = 0
        power.withUnsafeBufferPointer { power in
            current.withUnsafeMutableBufferPointer { current in
                for bin in 0..<count { current[bin] = power[bin].squareRoot() }
                guard !first else { return }
                previous.withUnsafeBufferPointer { previous in
                    for bin in 0..<count {
                        let difference = current[bin] - previous[bin]
                        sum += difference * difference
                    }
                }
            }
        }
        return first ? 0 : (sum / Float(count)).squareRoot()
    }
}
