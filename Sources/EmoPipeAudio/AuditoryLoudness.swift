import Foundation

/// Perceptual loudness as eGeMAPS computes it (openSMILE's `cPlp` auditory spectrum): 26
/// triangular HTK-mel bands of the power spectrum between 20 Hz and 8 kHz (or Nyquist), each
/// weighted by the equal-loudness curve of Hermansky's PLP at its centre frequency and
/// compressed by the cube-root intensity-loudness law (exponent 0.33); loudness is their sum.
struct AuditoryLoudness {
    /// The auditory bands; a stage whose mel filterbank equals it passes its own band energies.
    let filterbank: MelFilterbank
    private let equalLoudness: [Float]
    static let exponent = 0.33

    init(sampleRate: Double, fftSize: Int, bands: Int = 26, lowest: Double = 20, highest: Double = 8000) {
        let top = min(highest, sampleRate / 2)
        filterbank = MelFilterbank(sampleRate: sampleRate, fftSize: fftSize, count: bands, lowest: lowest,
                                   highest: top, scale: .htk, normalise: false)
        let low = MelFilterbank.mel(lowest, .htk), high = MelFilterbank.mel(top, .htk)
        equalLoudness = (0..<bands).map { band in
            let centre = MelFilterbank.hertz(low + (high - low) * Double(band + 1) / Double(bands + 1), .htk)
            return Float(Self.equalLoudnessWeight(centre))
        }
    }

    /// HTK's PLP equal-loudness pre-emphasis at `hertz`.
    static func equalLoudnessWeight(_ hertz: Double) -> Double {
        let squared = hertz * hertz
        let ratio = squared / (squared + 1.6e5)
        return ratio * ratio * (squared + 1.44e6) / (squared + 9.61e6)
    }

    private var energies: [Float] = []

    /// The loudness of a power spectrum (bins 0...n/2), for samples in [-1, 1].
    mutating func loudness(_ power: [Float]) -> Float {
        filterbank.apply(power, into: &energies)
        return loudness(bandEnergies: energies)
    }

    /// The loudness from the outputs of `filterbank` (one energy per band).
    func loudness(bandEnergies: [Float]) -> Float {
        precondition(bandEnergies.count == equalLoudness.count)
        var total: Float = 0
        for band in 0..<bandEnergies.count {
            total += powf(max(0, bandEnergies[band] * equalLoudness[band]), Float(Self.exponent))
        }
        return total
    }
}
