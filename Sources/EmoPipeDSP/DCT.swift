import CFFTW
import Foundation

/// The orthonormal DCT-II (scipy's `dct(type=2, norm="ortho")`, as librosa's MFCC uses it), with
/// FFTW's REDFT10, planned once (under `FFTWPlanner.lock`). One instance per stage instance.
public final class DCT {
    public let size: Int
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    private let plan: fftwf_plan

    public init(size: Int) {
        self.size = size
        let input = fftwf_alloc_real(size)!, output = fftwf_alloc_real(size)!
        self.input = input
        self.output = output
        plan = FFTWPlanner.lock.withLock {
            fftwf_plan_r2r_1d(Int32(size), input, output, FFTW_REDFT10, UInt32(FFTW_ESTIMATE))!
        }
    }

    deinit {
        FFTWPlanner.lock.withLock { fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(output)
    }

    /// The first `count` orthonormal DCT-II coefficients of `values` (`values.count == size`).
    public func transform(_ values: [Float], count: Int) -> [Float] {
        values.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: size) }
        fftwf_execute(plan)
        // REDFT10 is 2 * sum x_n cos(pi k (2n + 1) / 2N); orthonormal scaling per scipy.
        let first = Float((1 / (4 * Double(size))).squareRoot()), rest = Float((1 / (2 * Double(size))).squareRoot())
        return (0..<count).map { output[$0] * ($0 == 0 ? first : rest) }
    }
}
