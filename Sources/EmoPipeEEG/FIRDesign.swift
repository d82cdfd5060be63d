import Foundation

/// Linear-phase FIR filters by the window method (Hamming), as `scipy.signal.firwin` and MNE's
/// `fir_design="firwin"` make them. Odd lengths (type I), so high-pass and band-stop work too.
enum FIRDesign {
    /// The Hamming-windowed ideal low-pass at `cutoff` Hz, unscaled.
    private static func windowedSinc(cutoff: Double, rate: Double, length: Int) -> [Double] {
        let middle = Double(length - 1) / 2
        let normalised = 2 * cutoff / rate
        return (0..<length).map { index -> Double in
            let x = Double(index) - middle
            let sinc = x == 0 ? 1 : sin(Double.pi * normalised * x) / (Double.pi * normalised * x)
            let window = 0.54 - 0.46 * cos(2 * Double.pi * Double(index) / Double(length - 1))
            return normalised * sinc * window
        }
    }

    /// A low-pass kernel with cutoff `cutoff` Hz (gain 0.5 there), unit gain at 0 Hz (firwin's
    /// `scale=True`).
    static func lowPass(cutoff: Double, rate: Double, length: Int) -> [Double] {
        let taps = windowedSinc(cutoff: cutoff, rate: rate, length: length)
        let gain = taps.reduce(0, +)
        return taps.map { $0 / gain }
    }

    /// A unit impulse at the kernel's centre (an all-pass of the same delay).
    static func identity(length: Int) -> [Double] {
        var taps = [Double](repeating: 0, count: length)
        taps[length / 2] = 1
        return taps
    }

    /// A filter with gain 0 or 1 between frequency points (Hz, ascending from 0 to Nyquist), as
    /// MNE's `_firwin_design` builds it: each change of gain is its own low-pass, cut at the middle
    /// of that transition, with the length the transition's width needs (3.3 / (width / rate),
    /// odd, rounded). The pieces are centred and added or subtracted from Nyquist down, in a
    /// kernel as long as the narrowest transition needs with the length rounded up (MNE's
    /// `filter_length="auto"`), which may pad the pieces by a tap.
    static func piecewise(frequencies: [Double], gains: [Double], rate: Double) -> [Double] {
        precondition(frequencies.count == gains.count && frequencies.first == 0)
        var pieces: [(taps: [Double], sign: Double)] = []
        var narrowest = Double.infinity
        var previous = (frequency: frequencies.last!, gain: gains.last!)
        for (frequency, gain) in zip(frequencies, gains).reversed().dropFirst() {
            if gain != previous.gain {
                narrowest = min(narrowest, previous.frequency - frequency)
                let taps = lowPass(cutoff: (previous.frequency + frequency) / 2, rate: rate,
                                   length: length(transition: previous.frequency - frequency, rate: rate))
                pieces.append((taps, gain == 0 ? -1 : 1))
            }
            previous = (frequency, gain)
        }
        var count = pieces.map(\.taps.count).max() ?? 1
        if narrowest.isFinite {
            let overall = Int((3.3 * rate / narrowest).rounded(.up))
            count = max(count, overall % 2 == 0 ? overall + 1 : overall)
        }
        var kernel = gains.last! == 1 ? identity(length: count) : [Double](repeating: 0, count: count)
        for piece in pieces {
            let offset = (count - piece.taps.count) / 2
            for (index, tap) in piece.taps.enumerated() { kernel[offset + index] += piece.sign * tap }
        }
        return kernel
    }

    /// Taps for a transition band of `width` Hz: MNE's rule, 3.3 / (width / rate) rounded
    /// (half to even, as Python's round), made odd.
    static func length(transition width: Double, rate: Double) -> Int {
        let taps = Int((3.3 * rate / width).rounded(.toNearestOrEven))
        return taps % 2 == 0 ? taps + 1 : taps
    }

    /// The convolution of two kernels: the two filters in series.
    static func cascade(_ a: [Double], _ b: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: a.count + b.count - 1)
        for (i, x) in a.enumerated() { for (j, y) in b.enumerated() { result[i + j] += x * y } }
        return result
    }

    /// Gain of `taps` at `frequency` Hz (magnitude of the frequency response).
    static func gain(_ taps: [Double], at frequency: Double, rate: Double) -> Double {
        var re = 0.0, im = 0.0
        for (index, tap) in taps.enumerated() {
            let phase = 2 * Double.pi * frequency * Double(index) / rate
            re += tap * cos(phase)
            im -= tap * sin(phase)
        }
        return (re * re + im * im).squareRoot()
    }
}
