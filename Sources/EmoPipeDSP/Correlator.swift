import CFFTW
import Foundation

/// Cross- and autocorrelation through FFTW (a real forward and a real inverse transform of one
/// size), planned once and reused. The transform is circular; `size` need only be large enough
/// that no product wraps around for the lags asked for (`a.count + lags - 1` for a
/// cross-correlation, `x.count + lags - 1` for an autocorrelation), not the sum of the lengths:
/// see `minimumSize`.
public final class Correlator {
    public let size: Int
    private let real: UnsafeMutablePointer<Float>
    private let spectrumA: UnsafeMutablePointer<fftwf_complex>
    private let spectrumB: UnsafeMutablePointer<fftwf_complex>
    private let forwardA: fftwf_plan
    private let forwardB: fftwf_plan
    private let inverse: fftwf_plan

    public init(size: Int) {
        self.size = size
        let real = fftwf_alloc_real(size)!
        let spectrumA = fftwf_alloc_complex(size / 2 + 1)!, spectrumB = fftwf_alloc_complex(size / 2 + 1)!
        self.real = real
        self.spectrumA = spectrumA
        self.spectrumB = spectrumB
        (forwardA, forwardB, inverse) = FFTWPlanner.lock.withLock {
            (fftwf_plan_dft_r2c_1d(Int32(size), real, spectrumA, UInt32(FFTW_ESTIMATE))!,
             fftwf_plan_dft_r2c_1d(Int32(size), real, spectrumB, UInt32(FFTW_ESTIMATE))!,
             fftwf_plan_dft_c2r_1d(Int32(size), spectrumA, real, UInt32(FFTW_ESTIMATE))!)
        }
    }

    deinit {
        FFTWPlanner.lock.withLock {
            fftwf_destroy_plan(forwardA)
            fftwf_destroy_plan(forwardB)
            fftwf_destroy_plan(inverse)
        }
        fftwf_free(real)
        fftwf_free(spectrumA)
        fftwf_free(spectrumB)
    }

    /// r[lag] = sum_j a[j] * b[j + lag] for lag = 0..<lags, into `result` (overwritten). With
    /// `a` the first W samples of a frame and `b` the frame, this is YIN's correlation term.
    public func crossCorrelate(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                               lags: Int, into result: inout [Float]) {
        precondition(b.count <= size && a.count + lags - 1 <= size && lags <= size)
        load(a)
        fftwf_execute(forwardA)
        load(b)
        fftwf_execute(forwardB)
        // conj(A) * B, then the inverse transform gives the correlation at non-negative lags.
        for bin in 0...(size / 2) {
            let ar = spectrumA[bin].0, ai = spectrumA[bin].1, br = spectrumB[bin].0, bi = spectrumB[bin].1
            spectrumA[bin].0 = ar * br + ai * bi
            spectrumA[bin].1 = ar * bi - ai * br
        }
        fftwf_execute(inverse)
        let scale = 1 / Float(size)
        if result.count != lags { result = [Float](repeating: 0, count: lags) }
        for lag in 0..<lags { result[lag] = real[lag] * scale }
    }

    /// r[lag] = sum_j x[j] * x[j + lag] for lag = 0..<lags (`size` >= x.count + lags - 1).
    public func autocorrelate(_ x: UnsafeBufferPointer<Float>, lags: Int, into result: inout [Float]) {
        autocorrelate(x, lags: lags, into: &result) { _ in }
    }

    /// As `autocorrelate(_:lags:into:)`, and the power spectrum |X[k]|^2 (k = 0...size/2) of
    /// `x` zero-padded to `size` into `power` (overwritten), which the transform computes anyway.
    public func autocorrelate(_ x: UnsafeBufferPointer<Float>, lags: Int, into result: inout [Float], power: inout [Float]) {
        if power.count != size / 2 + 1 { power = [Float](repeating: 0, count: size / 2 + 1) }
        power.withUnsafeMutableBufferPointer { power in
            autocorrelate(x, lags: lags, into: &result) { spectrum in
                for bin in 0..<power.count { power[bin] = spectrum[bin].0 }
            }
        }
    }

    /// The autocorrelation; `spectrum` sees |X[k]|^2 in the real parts before the inverse transform.
    private func autocorrelate(_ x: UnsafeBufferPointer<Float>, lags: Int, into result: inout [Float],
                               spectrum: (UnsafePointer<fftwf_complex>) -> Void) {
        precondition(x.count + lags - 1 <= size && lags <= size)
        load(x)
        fftwf_execute(forwardA)
        for bin in 0...(size / 2) {
            spectrumA[bin].0 = spectrumA[bin].0 * spectrumA[bin].0 + spectrumA[bin].1 * spectrumA[bin].1
            spectrumA[bin].1 = 0
        }
        spectrum(spectrumA)
        fftwf_execute(inverse)
        let scale = 1 / Float(size)
        if result.count != lags { result = [Float](repeating: 0, count: lags) }
        result.withUnsafeMutableBufferPointer { result in
            for lag in 0..<lags { result[lag] = real[lag] * scale }
        }
    }

    private func load(_ samples: UnsafeBufferPointer<Float>) {
        real.update(from: samples.baseAddress!, count: samples.count)
        if samples.count < size { (real + samples.count).update(repeating: 0, count: size - samples.count) }
    }

    /// The smallest size whose circular correlation of a `count`-sample signal (or first
    /// operand) is exact at lags 0..<`lags`, rounded up to a size FFTW transforms fast.
    public static func minimumSize(count: Int, lags: Int) -> Int {
        fastSize(atLeast: count + lags - 1)
    }

    /// The smallest n >= `count` of the form 2^a 3^b 5^c, sizes FFTW's codelets transform
    /// about as fast per sample as powers of two.
    public static func fastSize(atLeast count: Int) -> Int {
        var size = max(1, count)
        while true {
            var rest = size
            for factor in [2, 3, 5] { while rest % factor == 0 { rest /= factor } }
            if rest == 1 { return size }
            size += 1
        }
    }

    /// The smallest power of two >= `count`.
    public static func powerOfTwo(atLeast count: Int) -> Int {
        var size = 1
        while size < count { size *= 2 }
        return size
    }
}
