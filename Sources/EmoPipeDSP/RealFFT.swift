import CFFTW
import Foundation

/// A real-input FFT of one size (FFTW, single precision), planned once and reused.
/// One instance per stage instance; planning goes through `FFTWPlanner.lock`, execution runs in
/// parallel.
public final class RealFFT {
    public let size: Int
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    public init(size: Int) {
        self.size = size
        let input = fftwf_alloc_real(size)!, output = fftwf_alloc_complex(size / 2 + 1)!
        self.input = input
        self.output = output
        plan = FFTWPlanner.lock.withLock {
            fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
        }
    }

    deinit {
        FFTWPlanner.lock.withLock { fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(output)
    }

    /// |X[k]|^2 for k = 0...size/2 of `samples` zero-padded to `size`, into `power` (overwritten).
    public func power(of samples: UnsafeBufferPointer<Float>, into power: inout [Float]) {
        input.update(from: samples.baseAddress!, count: samples.count)
        if samples.count < size { (input + samples.count).update(repeating: 0, count: size - samples.count) }
        fftwf_execute(plan)
        power.withUnsafeMutableBufferPointer { power in
            for bin in 0...(size / 2) { power[bin] = output[bin].0 * output[bin].0 + output[bin].1 * output[bin].1 }
        }
    }

    /// |X[k]|^2 for k = 0...size/2 of `samples` zero-padded to `size`, added into `power`.
    public func accumulatePower(of samples: UnsafeBufferPointer<Float>, into power: inout [Double]) {
        input.update(from: samples.baseAddress!, count: samples.count)
        if samples.count < size { (input + samples.count).update(repeating: 0, count: size - samples.count) }
        fftwf_execute(plan)
        power.withUnsafeMutableBufferPointer { power in
            for bin in 0...(size / 2) {
                let re = Double(output[bin].0), im = Double(output[bin].1)
                power[bin] += re * re + im * im
            }
        }
    }
}
