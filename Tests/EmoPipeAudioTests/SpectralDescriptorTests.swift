import EmoPipeAudio
import EmoPipeCore
import Foundation
import Testing

/// audio.spectral's eGeMAPS descriptors on signals with known answers (eGeMAPS settings:
/// 20 ms Hamming windows every 10 ms, FFT of 512 at 16 kHz).
@Suite struct SpectralDescriptorTests {
    static let parameters: [String: ParameterValue] = ["frame_ms": .number(20), "window": .string("hamming"), "n_fft": .integer(512),
                                                       "n_mels": .integer(26), "mel_scale": .string("htk"), "mel_norm": .string("none"),
                                                       "fmin_hz": .number(20), "fmax_hz": .number(8000), "n_mfcc": .integer(5)]
    static let names = ["centroid_hz", "rolloff_hz", "flux", "slope_0_500", "slope_500_1500", "alpha_ratio_db", "hammarberg_db", "loudness", "power"]

    /// Median of each descriptor over the frames wholly inside the signal.
    private func descriptors(_ samples: [Float]) throws -> [String: Double] {
        let rows = try AudioTestSupport.run(AudioSpectralStage.descriptor, Self.parameters, samples: samples)[2].rows
        let inner = rows.dropFirst(2).dropLast(2)
        var result: [String: Double] = [:]
        for (column, name) in Self.names.enumerated() {
            let sorted = inner.map { Double($0[column]) }.sorted()
            result[name] = sorted.isEmpty ? .nan : sorted[sorted.count / 2]
        }
        return result
    }

    @Test func aLowSineHasItsEnergyBelowOneKilohertz() throws {
        let d = try descriptors(AudioTestSupport.sine(440, seconds: 1))
        #expect(abs(d["centroid_hz"]! - 440) < 40)
        #expect(abs(d["rolloff_hz"]! - 440) < 40)
        #expect(d["alpha_ratio_db"]! < -30, "alpha ratio \(d["alpha_ratio_db"]!)")
        #expect(d["hammarberg_db"]! > 30)
        // Mean square of a sine of amplitude 0.5 is 0.125.
        #expect(abs(d["power"]! - 0.125) < 0.002)
        // A steady tone: consecutive magnitude spectra are almost equal.
        #expect(d["flux"]! < 0.05)
    }

    @Test func aHighSineTipsTheAlphaRatioAndHammarbergIndexTheOtherWay() throws {
        let d = try descriptors(AudioTestSupport.sine(3000, seconds: 1))
        #expect(d["alpha_ratio_db"]! > 30)
        #expect(d["hammarberg_db"]! < -30)
        #expect(abs(d["centroid_hz"]! - 3000) < 60)
    }

    @Test func whiteNoiseIsFlat() throws {
        let d = try descriptors(AudioTestSupport.whiteNoise(seconds: 2))
        // Flat spectrum: centroid at a quarter of the rate, 85 % roll-off at 0.85 x Nyquist.
        #expect(abs(d["centroid_hz"]! - 4000) < 250)
        #expect(abs(d["rolloff_hz"]! - 6800) < 300)
        // 1-5 kHz holds four times the bandwidth of 0-1 kHz: +6 dB.
        #expect(abs(d["alpha_ratio_db"]! - 10 * log10(4.0)) < 1.0)
        #expect(abs(d["slope_500_1500"]!) < 0.01)
    }

    @Test func unreadOutputsAreNotComputed() throws {
        let sine = AudioTestSupport.sine(440, seconds: 0.5)
        let all = try AudioTestSupport.run(AudioSpectralStage.descriptor, Self.parameters, samples: sine)
        let descriptorsOnly = try AudioTestSupport.run(AudioSpectralStage.descriptor, Self.parameters, samples: sine,
                                                       connected: [false, false, true])
        #expect(descriptorsOnly[0].rows.isEmpty && descriptorsOnly[1].rows.isEmpty)
        #expect(descriptorsOnly[2].rows == all[2].rows)
        let melOnly = try AudioTestSupport.run(AudioSpectralStage.descriptor, Self.parameters, samples: sine,
                                               connected: [true, false, false])
        #expect(melOnly[0].rows == all[0].rows && melOnly[1].rows.isEmpty && melOnly[2].rows.isEmpty)
    }

    @Test func silenceGivesZeroLoudnessFluxAndPower() throws {
        let d = try descriptors([Float](repeating: 0, count: 16000))
        #expect(d["loudness"] == 0 && d["flux"] == 0 && d["power"] == 0 && d["centroid_hz"] == 0)
    }

    @Test func loudnessFollowsTheCubeRootLawAndClippingAddsHighFrequencies() throws {
        let quiet = try descriptors(AudioTestSupport.sine(440, seconds: 1, amplitude: 0.05))
        let loud = try descriptors(AudioTestSupport.sine(440, seconds: 1, amplitude: 0.05 * pow(10, 0.5)))
        // +10 dB of power is x 10^0.33 of loudness.
        #expect(abs(loud["loudness"]! / quiet["loudness"]! - pow(10, 0.33)) < 0.01)
        let clipped = AudioTestSupport.sine(440, seconds: 1, amplitude: 3).map { max(-1, min(1, $0)) }
        let d = try descriptors(clipped)
        // Clipping a sine makes odd harmonics: energy above 1 kHz rises by tens of dB.
        #expect(d["alpha_ratio_db"]! > loud["alpha_ratio_db"]! + 20)
        #expect(d["centroid_hz"]! > 490)
    }
}
