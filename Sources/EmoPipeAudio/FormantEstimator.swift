import EmoPipeDSP
import Foundation

/// Formants by linear prediction, as eGeMAPS (openSMILE's `cSpecResample`, `cLpc`,
/// `cFormantLpc`): the power spectrum of a short window is cut at `ceilingHz` (the band a
/// signal resampled to 2 x ceiling would keep), its autocorrelation taken by a cosine sum,
/// an order-`order` predictor fitted (Levinson-Durbin), and the predictor's roots in the upper
/// half plane read as formants: frequency = angle x fs / 2pi, bandwidth = -ln|z| x fs / pi.
/// Roots between `minHz` and ceiling - `minHz` count, lowest first.
struct FormantEstimator {
    struct Formant: Equatable { var frequency: Double; var bandwidth: Double }

    let order: Int
    let ceilingHz: Double
    let minHz: Double
    private let bins: Int
    private let effectiveRate: Double
    /// cosines[lag x (bins + 1) + k]: the weighted cosine of bin k for autocorrelation lag `lag`.
    private let cosines: [Double]
    private var autocorrelation: [Double]
    /// The power spectrum up to the ceiling, in Double (scratch).
    private var spectrum: [Double] = []
    /// The last frame's predictor roots, to seed the next frame's root finding.
    private var previousRoots: [ComplexValue] = []

    init(sampleRate: Double, fftSize: Int, order: Int = 11, ceilingHz: Double = 5500, minHz: Double = 50) {
        self.order = order
        self.minHz = minHz
        let binHz = sampleRate / Double(fftSize)
        bins = max(order + 2, min(fftSize / 2, Int((min(ceilingHz, sampleRate / 2) / binHz).rounded(.down))))
        effectiveRate = 2 * Double(bins) * binHz
        self.ceilingHz = effectiveRate / 2
        let bins = self.bins
        cosines = (0...order).flatMap { lag in
            (0...bins).map { k in
                let weight = (k == 0 || k == bins) ? 0.5 : 1.0
                return weight * cos(Double.pi * Double(k * lag) / Double(bins))
            }
        }
        autocorrelation = [Double](repeating: 0, count: order + 1)
    }

    /// Formants of a power spectrum (bins 0...n/2), lowest first.
    mutating func formants(_ power: [Float]) -> [Formant] {
        let width = bins + 1
        if spectrum.count != width { spectrum = [Double](repeating: 0, count: width) }
        for k in 0..<width { spectrum[k] = Double(power[k]) }
        cosines.withUnsafeBufferPointer { cosines in
            spectrum.withUnsafeBufferPointer { spectrum in
                for lag in 0...order {
                    autocorrelation[lag] = DotProduct.of(cosines.baseAddress! + lag * width, spectrum.baseAddress!, count: width)
                }
            }
        }
        guard let (a, _) = LinearPrediction.coefficients(autocorrelation: autocorrelation, order: order) else { return [] }
        let roots = PolynomialRoots.roots(of: a, start: previousRoots)
        previousRoots = roots.allSatisfy { $0.re.isFinite && $0.im.isFinite } ? roots : []
        return roots
            .filter { $0.im > 0 }
            .map { Formant(frequency: $0.phase * effectiveRate / (2 * Double.pi),
                           bandwidth: -log($0.magnitude) * effectiveRate / Double.pi) }
            .filter { $0.frequency > minHz && $0.frequency < ceilingHz - minHz }
            .sorted { $0.frequency < $1.frequency }
    }
}
