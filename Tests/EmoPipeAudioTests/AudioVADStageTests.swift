import EmoPipeAudio
import EmoPipeCore
import Foundation
import Testing

@Suite struct AudioVADStageTests {
    @Test func tonesBetweenSilencesAreSpeechAndTheGapIsAPause() throws {
        // 0.5 s of faint noise, 1 s of a 200 Hz tone, 0.6 s of noise, 1 s of tone, 0.5 s of noise.
        let noise = AudioTestSupport.whiteNoise(seconds: 3.6, amplitude: 0.0005, seed: 3)
        var samples = noise
        for (start, length) in [(0.5, 1.0), (2.1, 1.0)] {
            let tone = AudioTestSupport.sine(200, seconds: length, amplitude: 0.3)
            for (offset, value) in tone.enumerated() { samples[Int(start * 16000) + offset] += value }
        }
        let output = try AudioTestSupport.run(AudioVADStage.descriptor, samples: samples)
        let speech = output[2].rows, pauses = output[1].rows
        #expect(speech.count == 2 && pauses.count == 1, "speech \(speech), pauses \(pauses)")
        guard speech.count == 2, pauses.count == 1 else { return }
        // Onsets are found within a frame; offsets last the 150 ms hangover longer.
        #expect(abs(speech[0][0] - 0.5) <= 0.03 && abs(speech[0][1] - 1.65) <= 0.03)
        #expect(abs(speech[1][0] - 2.1) <= 0.03)
        #expect(abs(pauses[0][2] - 0.45) <= 0.04, "pause \(pauses[0])")
        // Tone frames are voiced; the noise is not speech.
        let frames = zip(output[0].rows, output[0].times)
        #expect(frames.filter { $1 > 0.7 && $1 < 1.3 }.allSatisfy { $0.0[0] == 1 && $0.0[1] == 1 })
        #expect(frames.filter { $1 < 0.4 }.allSatisfy { $0.0[0] == 0 })
    }

    @Test func silenceHasNoSpeechAndNoPauses() throws {
        let output = try AudioTestSupport.run(AudioVADStage.descriptor, samples: [Float](repeating: 0, count: 16000))
        #expect(output[0].rows.allSatisfy { $0[0] == 0 && $0[1] == 0 })
        #expect(output[1].rows.isEmpty && output[2].rows.isEmpty)
    }
}
