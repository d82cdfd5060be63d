import CFFTW
import Foundation

/// Cross- and autocorrelation through FFTW, planned once and reused: an autocorrelation is a
/// real forward and a real inverse transform of one size; a cross-correlation transforms its two
/// real operands at once, as the real and imaginary parts of one complex transform (which FFTW
/// does faster than two real ones), then takes the real inverse. The transform is circular;
/// `size` need only be large enough that no product wraps around for the lags asked for
/// (`a.count + lags - 1` for a cross-correlation, `x.count + lags - 1` for an autocorrelation),
/// not the sum of the lengths: see `minimumSize`.
public final class Correlator {
    public let size: Int
    private let real: UnsafeMutablePointer<Float>
    private let spectrumA: UnsafeMutablePointer<fftwf_complex>
    /// Two real signals as one complex one (real and imaginary parts), and its transform.
    private let pair: UnsafeMutablePointer<fftwf_complex>
    private let pairSpectrum: UnsafeMutablePointer<fftwf_complex>
    private let forwardA: fftwf_plan
    private let forwardPair: fftwf_plan
    private let inverse: fftwf_plan

    public init(size: Int) {
        self.size = size
        let real = fftwf_alloc_real(size)!
        let spectrumA = fftwf_alloc_complex(size / 2 + 1)!
        let pair = fftwf_alloc_complex(size)!, pairSpectrum = fftwf_alloc_complex(size)!
        self.real = real
        self.spectrumA = spectrumA
        self.pair = pair
        self.pairSpectrum = pairSpectrum
        (forwardA, forwardPair, inverse) = FFTWPlanner.lock.withLock {
            (fftwf_plan_dft_r2c_1d(Int32(size), real, spectrumA, UInt32(FFTW_ESTIMATE))!,
             fftwf_plan_dft_1d(Int32(size), pair, pairSpectrum, FFTW_FORWARD, UInt32(FFTW_ESTIMATE))!,
             fftwf_plan_dft_c2r_1d(Int32(size), spectrumA, real, UInt32(FFTW_ESTIMATE))!)
        }
    }

    deinit {
        FFTWPlanner.lock.withLock {
            fftwf_destroy_plan(forwardA)
            fftwf_destroy_plan(forwardPair)
            fftwf_destroy_plan(inverse)
        }
        fftwf_free(real)
        fftwf_free(spectrumA)
        fftwf_free(pair)
        fftwf_free(pairSpectrum)
    }

    /// r[lag] = sum_j a[j] * b[j + lag] for lag = 0..<lags, into `result` (overwritten). With
    /// `a` the first W samples of a frame and `b` the frame, this is YIN's correlation term.
    public func crossCorrelate(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                               lags: Int, into result: inout [Float]) {
        precondition(b.count <= size && a.count + lags - 1 <= size && lags <= size)
        // z = a + i b, zero-padded; its transform Z gives A[k] = (Z[k] + conj Z[-k]) / 2 and
        // B[k] = (Z[k] - conj Z[-k]) / 2i.
        let raw = UnsafeMutableRawPointer(pair).assumingMemoryBound(to: Float.self)
        let common = min(a.count, b.count), longer = max(a.count, b.count)
        for index in 0..<common {
            raw[2 * index] = a[index]
            raw[2 * index + 1] = b[index]
        }
        for index in common..<longer {
            raw[2 * index] = index < a.count ? a[index] : 0
            raw[2 * index + 1] = index < b.count ? b[index] : 0
        }
        (raw + 2 * longer).update(repeating: 0, count: 2 * (size - longer))
        fftwf_execute(forwardPair)
        // conj(A) * B, then the inverse transform gives the correlation at non-negative lags.
        for bin in 0...(size / 2) {
            let z = pairSpectrum[bin], mirror = pairSpectrum[bin == 0 ? 0 : size - bin]
            let ar = (z.0 + mirror.0) / 2, ai = (z.1 - mirror.1) / 2
            let br = (z.1 + mirror.1) / 2, bi = (mirror.0 - z.0) / 2
            spectrumA[bin].0 = ar * br + ai * bi
            spectrumA[bin].1 = ar * bi - ai * br
        }
        fftwf_execute(inverse)
        let scale = 1 / Float(size)
        if result.count != lags { result = [Float](repeating: 0, count: lags) }
        result.withUnsafeMutableBufferPointer { result in
            for lag in 0..<lags { result[lag] = real[lag] * scale }
        }
    }

    /// r[lag] = sum_j x[j] * x[j + lag] for lag = 0..<lags (`size` >= x.count + lags - 1).
    public func autocorrelate(_ x: UnsafeBufferPointer<Float>, lags: Int, into result: inout [Float]) {
        precondition(x.count + lags - 1 <= size && lags <= size)
        load(x)
        fftwf_execute(forwardA)
        for bin in 0...(size / 2) {
            spectrumA[bin].0 = spectrumA[bin].0 * spectrumA[bin].0 + spectrumA[bin].1 * spectrumA[bin].1
            spectrumA[bin].1 = 0
        }
        fftwf_execute(inverse)
        let scale = 1 / Float(size)
        if result.count != lags { result = [Float](repeating: 0, count: lags) }
        for lag in 0..<lags { result[lag] = real[lag] * scale }
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
