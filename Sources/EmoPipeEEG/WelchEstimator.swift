import EmoPipeDSP
import Foundation

/// Welch power spectral density of one window, as MNE's `psd_array_welch` computes it
/// (scipy's spectrogram, `scaling="density"`): segments of `segmentLength` samples every
/// `segmentLength - overlap`, each with its mean removed (MNE's `remove_dc`), multiplied by a
/// periodic Hann window, transformed with `fftLength` points; one-sided PSD in unit^2/Hz,
/// averaged over segments. Holds scratch buffers: one estimator per stage instance.
final class WelchEstimator {
    let sampleRate: Double
    let segmentLength: Int
    let overlap: Int
    let fft: RealFFT
    private let window: [Float]
    private let scale: Double
    private var segment: [Float]
    private var power: [Double]

    init(sampleRate: Double, segmentLength: Int, overlap: Int, fftLength: Int) {
        self.sampleRate = sampleRate
        self.segmentLength = segmentLength
        self.overlap = overlap
        fft = RealFFT(size: fftLength)
        window = Window.periodicHann(length: segmentLength)
        scale = 1 / (sampleRate * window.reduce(0.0) { $0 + Double($1 * $1) })
        segment = [Float](repeating: 0, count: segmentLength)
        power = [Double](repeating: 0, count: fftLength / 2 + 1)
    }

    /// Frequency of bin k (Hz).
    var binWidth: Double { sampleRate / Double(fft.size) }

    /// The PSD of `samples` (one channel of one window), bins 0...fftLength/2.
    func psd(_ samples: ArraySlice<Float>) -> [Double] {
        for bin in power.indices { power[bin] = 0 }
        let step = segmentLength - overlap
        var segments = 0
        samples.withUnsafeBufferPointer { input in
            var start = 0
            while start + segmentLength <= input.count {
                let source = input.baseAddress! + start
                var sum: Double = 0
                for index in 0..<segmentLength { sum += Double(source[index]) }
                let mean = Float(sum / Double(segmentLength))
                segment.withUnsafeMutableBufferPointer { target in
                    window.withUnsafeBufferPointer { taper in
                        for index in 0..<segmentLength { target[index] = (source[index] - mean) * taper[index] }
                    }
                }
                segment.withUnsafeBufferPointer { fft.accumulatePower(of: $0, into: &power) }
                segments += 1
                start += step
            }
        }
        guard segments > 0 else { return power }
        let nyquist = fft.size % 2 == 0 ? fft.size / 2 : -1
        for bin in power.indices {
            let oneSided = bin == 0 || bin == nyquist ? 1.0 : 2.0
            power[bin] *= scale * oneSided / Double(segments)
        }
        return power
    }
}
