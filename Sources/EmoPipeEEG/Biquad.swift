import Foundation

/// A second-order IIR section (direct form I), with the RBJ audio-EQ-cookbook designs. Causal:
/// each output depends on present and past input only, for live streams.
struct Biquad {
    private let b0, b1, b2, a1, a2: Double
    private var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0

    private init(b: (Double, Double, Double), a: (Double, Double, Double)) {
        b0 = b.0 / a.0; b1 = b.1 / a.0; b2 = b.2 / a.0
        a1 = a.1 / a.0; a2 = a.2 / a.0
    }

    /// Second-order Butterworth high-pass (Q = 1/sqrt 2), -3 dB at `cutoff` Hz.
    static func highPass(cutoff: Double, rate: Double) -> Biquad {
        let (cosine, alpha) = terms(cutoff, rate, q: 1 / 2.0.squareRoot())
        return Biquad(b: ((1 + cosine) / 2, -(1 + cosine), (1 + cosine) / 2), a: (1 + alpha, -2 * cosine, 1 - alpha))
    }

    /// Second-order Butterworth low-pass (Q = 1/sqrt 2), -3 dB at `cutoff` Hz.
    static func lowPass(cutoff: Double, rate: Double) -> Biquad {
        let (cosine, alpha) = terms(cutoff, rate, q: 1 / 2.0.squareRoot())
        return Biquad(b: ((1 - cosine) / 2, 1 - cosine, (1 - cosine) / 2), a: (1 + alpha, -2 * cosine, 1 - alpha))
    }

    /// Notch at `center` Hz, -3 dB `width` Hz wide.
    static func notch(center: Double, width: Double, rate: Double) -> Biquad {
        let (cosine, alpha) = terms(center, rate, q: center / width)
        return Biquad(b: (1, -2 * cosine, 1), a: (1 + alpha, -2 * cosine, 1 - alpha))
    }

    private static func terms(_ frequency: Double, _ rate: Double, q: Double) -> (Double, Double) {
        let omega = 2 * Double.pi * frequency / rate
        return (cos(omega), sin(omega) / (2 * q))
    }

    mutating func process(_ x: Double) -> Double {
        let y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2 = x1; x1 = x; y2 = y1; y1 = y
        return y
    }
}
