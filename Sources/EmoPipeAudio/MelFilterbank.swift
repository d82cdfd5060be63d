import Foundation

/// Triangular mel filters over FFT bins, built as `librosa.filters.mel`: band edges evenly spaced
/// on the Slaney (linear below 1 kHz, logarithmic above) or HTK mel scale, triangles over the
/// FFT bin frequencies, and optionally Slaney's area normalisation (2 / bandwidth in Hz).
struct MelFilterbank: Equatable {
    enum Scale { case slaney, htk }

    /// Filter m's gains on FFT bins `firstBins[m]...`: only the bins where it is not zero.
    let weights: [[Float]]
    let firstBins: [Int]

    init(sampleRate: Double, fftSize: Int, count: Int, lowest: Double, highest: Double, scale: Scale, normalise: Bool) {
        let edges = (0..<(count + 2)).map { index -> Double in
            let low = Self.mel(lowest, scale), high = Self.mel(highest, scale)
            return Self.hertz(low + (high - low) * Double(index) / Double(count + 1), scale)
        }
        let binFrequencies = (0...(fftSize / 2)).map { Double($0) * sampleRate / Double(fftSize) }
        let dense = (0..<count).map { m in
            let widthLow = edges[m + 1] - edges[m], widthHigh = edges[m + 2] - edges[m + 1]
            let norm = normalise ? 2 / (edges[m + 2] - edges[m]) : 1
            return binFrequencies.map { frequency in
                let rising = (frequency - edges[m]) / widthLow
                let falling = (edges[m + 2] - frequency) / widthHigh
                return Float(max(0, min(rising, falling)) * norm)
            }
        }
        firstBins = dense.map { $0.firstIndex { $0 != 0 } ?? 0 }
        weights = zip(dense, firstBins).map { filter, first in
            let last = filter.lastIndex { $0 != 0 } ?? -1
            return last >= first ? Array(filter[first...last]) : []
        }
    }

    /// Mel value of `hertz` on the scale.
    static func mel(_ hertz: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk: return 2595 * log10(1 + hertz / 700)
        case .slaney:
            let step = 200.0 / 3, breakHz = 1000.0, breakMel = breakHz / step, logStep = log(6.4) / 27
            return hertz >= breakHz ? breakMel + log(hertz / breakHz) / logStep : hertz / step
        }
    }

    /// Frequency in Hz of mel value `mel` on the scale.
    static func hertz(_ mel: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk: return 700 * (pow(10, mel / 2595) - 1)
        case .slaney:
            let step = 200.0 / 3, breakHz = 1000.0, breakMel = breakHz / step, logStep = log(6.4) / 27
            return mel >= breakMel ? breakHz * exp(logStep * (mel - breakMel)) : mel * step
        }
    }

    /// The filters' outputs for a power spectrum (bins 0...fftSize/2), into `energies`.
    func apply(_ power: [Float], into energies: inout [Float]) {
        if energies.count != weights.count { energies = [Float](repeating: 0, count: weights.count) }
        power.withUnsafeBufferPointer { power in
            for (band, filter) in weights.enumerated() {
                let first = firstBins[band]
                var sum: Float = 0
                filter.withUnsafeBufferPointer { filter in
                    for offset in 0..<filter.count { sum += filter[offset] * power[first + offset] }
                }
                energies[band] = sum
            }
        }
    }
}
