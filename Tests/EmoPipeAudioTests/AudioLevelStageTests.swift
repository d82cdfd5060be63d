import EmoPipeAudio
import EmoPipeCore
import Foundation
import Testing

@Suite struct AudioLevelStageTests {
    private let rate = 16_000

    private func sine(frequency: Double, amplitude: Float, seconds: Double) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// Runs audio.level over `samples`, pushed in chunks of `chunk` frames.
    private func levels(_ samples: [Float], channels: Int = 1, chunk: Int = 1000,
                        parameters: [String: ParameterValue] = [:]) throws -> [Packet] {
        let harness = try StageHarness(AudioLevelStage.descriptor, parameters: parameters,
                                       inputs: [.audio(AudioFormat(sampleRate: rate, channels: channels))])
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + chunk * channels)
            let time = Timestamp(sample: Int64(start / channels), rate: rate)
            try harness.push(Packet(timestamp: time, payload: .audio(AudioChunk(samples: Array(samples[start..<end]),
                                                                                 channels: channels, sampleRate: rate))))
            start = end
        }
        try harness.finish()
        return harness.emitted()
    }

    private func row(_ packet: Packet) -> [Float] {
        guard case .features(let row) = packet.payload else { return [] }
        return row.values
    }

    @Test func aFullScaleSineReadsMinus3dBRMSAnd0dBPeak() throws {
        // 1 kHz: 25 ms frames hold whole periods, so the RMS is exactly 1/sqrt(2).
        let packets = try levels(sine(frequency: 1000, amplitude: 1, seconds: 1))
        for packet in packets {
            #expect(abs(row(packet)[0] - (-3.0103)) < 0.001)
            #expect(abs(row(packet)[1]) < 0.01)
        }
    }

    @Test func halvingTheAmplitudeLowersBothLevelsBy6dB() throws {
        let full = try levels(sine(frequency: 500, amplitude: 1, seconds: 0.5))
        let half = try levels(sine(frequency: 500, amplitude: 0.5, seconds: 0.5))
        for (a, b) in zip(full, half) {
            #expect(abs((row(a)[0] - row(b)[0]) - 6.0206) < 0.001)
            #expect(abs((row(a)[1] - row(b)[1]) - 6.0206) < 0.001)
        }
    }

    @Test func aSquareWaveReads0dBAndSilenceReadsTheFloor() throws {
        let square = (0..<8000).map { ($0 / 40) % 2 == 0 ? Float(1) : Float(-1) }
        for packet in try levels(square) { #expect(row(packet) == [0, 0]) }
        for packet in try levels([Float](repeating: 0, count: 8000), parameters: ["floor_db": .number(-90)]) {
            #expect(row(packet) == [-90, -90])
        }
    }

    @Test func framesStartEveryHopAndOnlyCompleteFramesComeOut() throws {
        // 1 s: frames of 400 samples every 160: (16000 - 400) / 160 + 1 = 98 frames.
        let packets = try levels([Float](repeating: 0.1, count: 16_000))
        #expect(packets.count == 98)
        #expect(packets.map(\.timestamp.microseconds) == (0..<98).map { Int64($0) * 10_000 })
        #expect(packets.allSatisfy { $0.duration.microseconds == 10_000 })
    }

    @Test func chunkSizeDoesNotChangeTheResult() throws {
        let signal = sine(frequency: 237, amplitude: 0.3, seconds: 0.7)
        let reference = try levels(signal, chunk: 16_000)
        for chunk in [1, 7, 160, 333, 4096] { #expect(try levels(signal, chunk: chunk) == reference) }
    }

    @Test func allChannelsOfAFrameCount() throws {
        // Left full scale, right silent: mean square halves, so RMS is -3.01 - 3.01 dB.
        let tone = sine(frequency: 1000, amplitude: 1, seconds: 0.2)
        let stereo = tone.flatMap { sample -> [Float] in [sample, 0] }
        for packet in try levels(stereo, channels: 2) { #expect(abs(row(packet)[0] - (-6.0206)) < 0.001) }
    }

    @Test func stampsFramesFromTheFirstChunksTime() throws {
        let harness = try StageHarness(AudioLevelStage.descriptor, inputs: [.audio(AudioFormat(sampleRate: rate, channels: 1))])
        let out = try harness.push(Packet(timestamp: Timestamp(seconds: 2.5),
                                          payload: .audio(AudioChunk(samples: [Float](repeating: 0.5, count: 800), channels: 1, sampleRate: rate))))
        #expect(out.map(\.timestamp) == [Timestamp(seconds: 2.5), Timestamp(seconds: 2.51), Timestamp(seconds: 2.52)])
    }
}
