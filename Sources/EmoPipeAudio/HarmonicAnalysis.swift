import EmoPipeDSP
import Foundation

/// Harmonic measures of one voiced frame from its power spectrum, as eGeMAPS (openSMILE's
/// `cHarmonics`) defines them: the amplitude of harmonic h is the strongest bin within
/// +-F0/4 of h*F0.
///
/// - HNR (dB): 10 log10(r(T0) / (r(0) - r(T0))) from the frame's autocorrelation r, r(T0)
///   the largest value within +-2 samples of the period.
/// - H1-H2 (dB): first over second harmonic.
/// - Formant amplitude (dB, relative to H1): the stronger of the two harmonics that bracket
///   the formant frequency; H1-A3 is H1 over the third formant's.
enum HarmonicAnalysis {
    /// HNR in dB of (windowed) samples at a period of `period` samples; the autocorrelation is
    /// evaluated directly at the six lags it needs (0 and the period +-2).
    static func harmonicsToNoise(_ samples: UnsafeBufferPointer<Float>, period: Double) -> Double {
        let centre = Int(period.rounded()), count = samples.count
        guard count > centre + 2, let base = samples.baseAddress else { return 0 }
        let energy = DotProduct.of(base, 0, 0, count: count)
        guard energy > 0 else { return 0 }
        var peak = -Float.greatestFiniteMagnitude
        for lag in max(1, centre - 2)...(centre + 2) { peak = max(peak, DotProduct.of(base, 0, lag, count: count - lag)) }
        let floor = Double(energy) * 1e-10
        let harmonic = max(Double(peak), floor), noise = max(Double(energy) - Double(peak), floor)
        return 10 * log10(harmonic / noise)
    }

    /// The power of harmonic `number` (1 = F0).
    static func harmonicPower(_ power: [Float], binHz: Double, f0: Double, number: Int) -> Double {
        let centre = Double(number) * f0 / binHz, reach = max(1, f0 / 4 / binHz)
        let low = max(0, Int((centre - reach).rounded(.down))), high = min(power.count - 1, Int((centre + reach).rounded(.up)))
        guard low <= high else { return 0 }
        return Double(power[low...high].max() ?? 0)
    }

    /// The power of the stronger harmonic bracketing `formant` Hz.
    static func formantPower(_ power: [Float], binHz: Double, f0: Double, formant: Double) -> Double {
        let below = max(1, Int((formant / f0).rounded(.down)))
        return max(harmonicPower(power, binHz: binHz, f0: f0, number: below),
                   harmonicPower(power, binHz: binHz, f0: f0, number: below + 1))
    }

    static func ratioDB(_ numerator: Double, _ denominator: Double) -> Double {
        guard numerator > 0, denominator > 0 else { return 0 }
        return 10 * log10(numerator / denominator)
    }
}
