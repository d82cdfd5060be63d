import EmoPipeAudio
import EmoPipeCore
import Foundation
import Testing

/// audio.pitch on signals with known F0, and against SPTK's reference tracks.
@Suite struct AudioPitchStageTests {
    /// f0 rows (f0_hz, f0_semitone, voicing_prob, voiced), voice and formant rows, and times.
    private func pitch(_ samples: [Float], _ parameters: [String: ParameterValue] = [:]) throws -> [(rows: [[Float]], times: [Double])] {
        try AudioTestSupport.run(AudioPitchStage.descriptor, parameters, samples: samples)
    }

    @Test func aSineIsVoicedAtItsFrequency() throws {
        let output = try pitch(AudioTestSupport.sine(220, seconds: 1))
        let inner = output[0].rows.dropFirst(5).dropLast(5)
        #expect(output[0].rows.count == 101, "one frame per 10 ms, centred from 0 s to 1 s")
        #expect(inner.allSatisfy { $0[3] == 1 })
        for row in inner {
            #expect(abs(Double(row[0]) / 220 - 1) < 0.005, "F0 \(row[0])")
            // 220 Hz is three octaves above 27.5 Hz: 36 semitones.
            #expect(abs(row[1] - 36) < 0.1)
        }
    }

    @Test func aChirpIsTrackedFrameByFrame() throws {
        let (samples, frequency) = AudioTestSupport.chirp(from: 120, to: 360, seconds: 2)
        let output = try pitch(samples)
        var voiced = 0, inner = 0
        for (row, time) in zip(output[0].rows, output[0].times) where time > 0.1 && time < 1.9 {
            inner += 1
            guard row[3] == 1 else { continue }
            voiced += 1
            #expect(abs(Double(row[0]) / frequency(time) - 1) < 0.03, "at \(time) s: \(row[0]) Hz, expected \(frequency(time))")
        }
        #expect(Double(voiced) >= 0.95 * Double(inner))
    }

    @Test func noiseAndSilenceAreUnvoiced() throws {
        let noise = try pitch(AudioTestSupport.whiteNoise(seconds: 2))
        let voicedNoise = noise[0].rows.filter { $0[3] == 1 }.count
        #expect(Double(voicedNoise) < 0.1 * Double(noise[0].rows.count), "\(voicedNoise) noise frames voiced")
        let silence = try pitch([Float](repeating: 0, count: 16000))
        #expect(silence[0].rows.allSatisfy { $0[0] == 0 && $0[3] == 0 })
        #expect(silence[1].rows.allSatisfy { $0.allSatisfy { $0 == 0 } })
        #expect(silence[2].rows.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    @Test func aClippedSineKeepsItsPitch() throws {
        let clipped = AudioTestSupport.sine(150, seconds: 1, amplitude: 4).map { max(-1, min(1, $0)) }
        let inner = try pitch(clipped)[0].rows.dropFirst(5).dropLast(5)
        #expect(inner.allSatisfy { $0[3] == 1 && abs(Double($0[0]) / 150 - 1) < 0.01 })
    }

    @Test func aPeriodicVowelHasNoJitterOrShimmerAndNoiseLowersItsHNR() throws {
        let clean = AudioTestSupport.vowel(f0: 125, formants: [700, 1200, 2600], seconds: 1)
        let voice = try pitch(clean)[1].rows.dropFirst(5).dropLast(5)
        let jitter = voice.map { Double($0[0]) }.sorted()[voice.count / 2]
        let shimmer = voice.map { Double($0[1]) }.sorted()[voice.count / 2]
        let hnr = voice.map { Double($0[2]) }.sorted()[voice.count / 2]
        #expect(jitter < 0.005, "jitter \(jitter)")
        #expect(shimmer < 0.2, "shimmer \(shimmer) dB")
        // openSMILE's HNR: the autocorrelation of the Gaussian-windowed frame, not corrected for
        // the window's own. A perfectly periodic signal then reads w(T0) / (1 - w(T0)), w the
        // window's normalised autocorrelation e^(-T0^2 / 4 s^2): for the 60 ms window at 16 kHz
        // (s = 0.4 x 479.5 samples) and T0 = 128 samples, 9.29 dB.
        let sigma = 0.4 * 479.5, w = exp(-128.0 * 128.0 / (4 * sigma * sigma))
        #expect(abs(hnr - 10 * log10(w / (1 - w))) < 0.3, "HNR \(hnr) dB")
        let noise = AudioTestSupport.whiteNoise(seconds: 1, amplitude: 0.15, seed: 7)
        let noisy = zip(clean, noise).map { $0 + $1 }
        let noisyVoice = try pitch(noisy)[1].rows.dropFirst(5).dropLast(5).filter { $0[2] != 0 }
        let noisyHNR = noisyVoice.map { Double($0[2]) }.sorted()[noisyVoice.count / 2]
        #expect(noisyHNR < hnr - 3, "HNR with noise \(noisyHNR) dB, clean \(hnr) dB")
    }

    @Test func formantsOfASyntheticVowelAreFound() throws {
        let vowel = AudioTestSupport.vowel(f0: 110, formants: [700, 1200, 2600], seconds: 1)
        let rows = try pitch(vowel)[2].rows.dropFirst(5).dropLast(5)
        for (index, expected) in [700.0, 1200, 2600].enumerated() {
            let median = rows.map { Double($0[3 * index]) }.sorted()[rows.count / 2]
            #expect(abs(median / expected - 1) < 0.08, "F\(index + 1) \(median) Hz, expected \(expected)")
        }
    }

    /// SPTK's files hold the pitch period in samples at 16 kHz (otype 0), 0 when unvoiced,
    /// every 5 ms.
    private func sptk(_ name: String) throws -> [Double] {
        let path = AudioTestSupport.sharedData.appendingPathComponent("speech/pitch/arctic_a0007_f0_SPTK_\(name)_p16_L60_H240_o0.txt").path
        return try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
            .map { Double($0.trimmingCharacters(in: .whitespaces))! }.map { $0 > 0 ? 16000 / $0 : 0 }
    }

    @Test(arguments: ["rapt", "swipe"])
    func agreesWithSPTKOnArctic(_ reference: String) throws {
        let samples = try AudioTestSupport.decode(AudioTestSupport.sharedData.appendingPathComponent("speech/pitch/arctic_a0007.wav").path)
        let output = try pitch(samples)[0]
        let truth = try sptk(reference)
        var agree = 0, compared = 0, bothVoiced = 0, gross = 0
        for (row, time) in zip(output.rows, output.times) {
            let index = Int((time / 0.005).rounded())
            guard index < truth.count else { continue }
            compared += 1
            let ours = Double(row[0]), theirs = truth[index]
            if (ours > 0) == (theirs > 0) { agree += 1 }
            if ours > 0, theirs > 0 {
                bothVoiced += 1
                if abs(ours / theirs - 1) > 0.2 { gross += 1 }
            }
        }
        let agreement = Double(agree) / Double(compared), grossError = Double(gross) / Double(bothVoiced)
        #expect(compared > 390 && bothVoiced > 100)
        #expect(grossError < 0.05, "gross pitch error \(grossError) against \(reference)")
        #expect(agreement >= 0.9, "voicing agreement \(agreement) against \(reference)")
    }

    @Test func onlineDecodingAgreesWithOfflineDecoding() throws {
        let samples = try AudioTestSupport.decode(AudioTestSupport.sharedData.appendingPathComponent("speech/pitch/arctic_a0007.wav").path)
        let online = try pitch(samples)[0].rows
        let offline = try pitch(samples, ["viterbi_lag_ms": .number(60_000)])[0].rows
        #expect(online.count == offline.count)
        let same = zip(online, offline).filter { $0[3] == $1[3] && abs($0[0] - $1[0]) <= 0.01 * max($1[0], 1) }.count
        #expect(Double(same) >= 0.98 * Double(offline.count), "\(same) of \(offline.count) frames equal")
    }

    @Test func withOnlyF0ReadTheVoiceAnalysisIsSkippedAndF0IsUnchanged() throws {
        let vowel = AudioTestSupport.vowel(f0: 140, formants: [700, 1200, 2600], seconds: 1)
        let all = try pitch(vowel)
        let f0Only = try AudioTestSupport.run(AudioPitchStage.descriptor, samples: vowel, connected: [true, false, false])
        #expect(f0Only[0].rows == all[0].rows && f0Only[0].times == all[0].times)
        #expect(f0Only[1].rows.isEmpty && f0Only[2].rows.isEmpty)
        #expect(!all[1].rows.isEmpty && !all[2].rows.isEmpty)
    }

    @Test func aFrameTooShortForTheLowestPitchIsRefusedWithTheNeededLength() throws {
        do {
            _ = try StageHarness(AudioPitchStage.descriptor, parameters: ["frame_ms": .number(20)],
                                 inputs: [.audio(AudioFormat(sampleRate: 16000, channels: 1))])
            Issue.record("a 20 ms frame was accepted for fmin 55 Hz")
        } catch {
            // 16000 / 55 rounds up to 291 samples; two periods and two more: 584 samples, 36.5 ms.
            #expect("\(error)".contains("needs at least 584 (36.5 ms)"), "\(error)")
        }
    }
}
