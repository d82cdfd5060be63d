import EmoPipeDSP
import Foundation
import Testing

/// FFT correlation against the direct sums, on seeded noise, at the sizes the audio stages use
/// and at the smallest size that does not wrap.
@Suite struct CorrelatorTests {
    private func noise(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// The largest difference from the direct sums, relative to the largest direct value.
    private func error(_ fast: [Float], _ direct: [Double]) -> Double {
        let scale = direct.map(abs).max()!
        return zip(fast, direct).map { abs(Double($0) - $1) }.max()! / scale
    }

    @Test(arguments: [(348, 640, 292), (100, 250, 151), (7, 7, 1)])
    func crossCorrelationIsTheDirectSum(windowCount: Int, frameCount: Int, lags: Int) {
        var generator = SeededGenerator(seed: UInt64(windowCount * 1000 + frameCount))
        let frame = noise(frameCount, &generator)
        let window = Array(frame.prefix(windowCount))
        let correlator = Correlator(size: max(Correlator.fastSize(atLeast: frameCount),
                                              Correlator.minimumSize(count: windowCount, lags: lags)))
        var result: [Float] = []
        window.withUnsafeBufferPointer { a in
            frame.withUnsafeBufferPointer { b in correlator.crossCorrelate(a, b, lags: lags, into: &result) }
        }
        let direct = (0..<lags).map { lag in
            (0..<windowCount).reduce(0.0) { $0 + (lag + $1 < frameCount ? Double(window[$1]) * Double(frame[lag + $1]) : 0) }
        }
        #expect(result.count == lags)
        #expect(error(result, direct) < 1e-5)
    }

    @Test func crossCorrelationOfDifferentSignalsIsNotSymmetric() {
        // a = impulse at 0, b = impulse at 5: r[5] = 1 and nothing else (a swapped real and
        // imaginary part would put it at lag -5, outside the lags read).
        var a = [Float](repeating: 0, count: 16), b = a
        a[0] = 1
        b[5] = 1
        let correlator = Correlator(size: 32)
        var result: [Float] = []
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in correlator.crossCorrelate(a, b, lags: 10, into: &result) } }
        for lag in 0..<10 { #expect(abs(result[lag] - (lag == 5 ? 1 : 0)) < 1e-6, "lag \(lag): \(result[lag])") }
    }

    @Test(arguments: [(960, 295), (320, 200)])
    func autocorrelationIsTheDirectSum(count: Int, lags: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        let x = noise(count, &generator)
        let correlator = Correlator(size: Correlator.minimumSize(count: count, lags: lags))
        var result: [Float] = []
        x.withUnsafeBufferPointer { correlator.autocorrelate($0, lags: lags, into: &result) }
        let direct = (0..<lags).map { lag in (0..<(count - lag)).reduce(0.0) { $0 + Double(x[$1]) * Double(x[$1 + lag]) } }
        #expect(error(result, direct) < 1e-5)
    }
}
