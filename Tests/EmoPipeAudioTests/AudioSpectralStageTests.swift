import EmoPipeAudio
import EmoPipeCore
import EmoPipeMedia
import Foundation
import Testing

@Suite struct AudioSpectralStageTests {
    private let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Fixtures/speech.wav through audio.spectral with `parameters`: rows of (logmel, mfcc).
    private func spectral(_ parameters: [String: ParameterValue], chunk: Int = 4096) throws -> (logmel: [[Float]], mfcc: [[Float]], times: [Timestamp]) {
        let wav = folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/speech.wav").path
        let (formats, packets) = try SourceHarness.run(SoundFileSource.descriptor, parameters: ["chunk_frames": .integer(chunk)],
                                                       input: InputLocation(path: wav))
        let harness = try StageHarness(AudioSpectralStage.descriptor, parameters: parameters, inputs: formats)
        for packet in packets[0] { try harness.push(packet) }
        try harness.finish()
        func rows(_ port: Int) -> [[Float]] {
            harness.emitted(on: port).map { packet in if case .features(let row) = packet.payload { row.values } else { [] } }
        }
        return (rows(0), rows(1), harness.emitted(on: 0).map(\.timestamp))
    }

    @Test func logMelAndMFCCEqualLibrosaWithinOnePerMille() throws {
        let data = try Data(contentsOf: folder.appendingPathComponent("Reference/audio_spectral_reference.json"))
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for config in try #require(reference["configs"] as? [[String: Any]]) {
            let name = config["name"] as! String
            let result = try spectral([
                "frame_ms": .number(32), "hop_ms": .number(10), "n_mels": .integer(config["n_mels"] as! Int),
                "mel_scale": .string((config["htk"] as! Bool) ? "htk" : "slaney"), "mel_norm": .string(config["norm"] as! String),
                "n_mfcc": .integer(13),
            ])
            #expect(result.logmel.count == config["total_frames"] as! Int, "\(name): frame count")
            let frames = config["frames"] as! [Int]
            var worst = (logmel: 0.0, mfcc: 0.0)
            for (row, frame) in frames.enumerated() {
                for (kind, expected) in [("logmel", config["logmel"]), ("mfcc", config["mfcc"])] {
                    let want = (expected as! [[Double]])[row]
                    let got = kind == "logmel" ? result.logmel[frame] : result.mfcc[frame]
                    for (a, b) in zip(got, want) {
                        let error = abs(Double(a) - b) / max(abs(b), 1)
                        if kind == "logmel" { worst.logmel = max(worst.logmel, error) } else { worst.mfcc = max(worst.mfcc, error) }
                    }
                }
            }
            #expect(worst.logmel < 1e-3 && worst.mfcc < 1e-3, "\(name): worst relative error log-mel \(worst.logmel), MFCC \(worst.mfcc)")
        }
    }

    @Test func framesAreCentredEveryHopWhateverTheChunking() throws {
        let reference = try spectral([:], chunk: 4096)
        #expect(reference.times.prefix(3) == [Timestamp(microseconds: 0), Timestamp(microseconds: 10_000), Timestamp(microseconds: 20_000)])
        let small = try spectral([:], chunk: 37)
        #expect(small.logmel == reference.logmel && small.mfcc == reference.mfcc)
    }

    @Test func aPureToneLandsInTheFilterAroundItsFrequency() throws {
        let rate = 16_000
        let tone = (0..<rate).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / Double(rate))) }
        let harness = try StageHarness(AudioSpectralStage.descriptor, parameters: ["mel_scale": .string("htk"), "n_mels": .integer(40)],
                                       inputs: [.audio(AudioFormat(sampleRate: rate, channels: 1))])
        try harness.push(Packet(timestamp: .zero, payload: .audio(AudioChunk(samples: tone, channels: 1, sampleRate: rate))))
        guard case .features(let row) = harness.emitted(on: 0)[50].payload else { Issue.record("no row"); return }
        let loudest = row.values.indices.max { row.values[$0] < row.values[$1] }!
        // HTK mel of 1 kHz is 1000 mel; 40 filters over 0-2840 mel are 69 mel apart: centre 1000 is filter 13-14.
        #expect([13, 14].contains(loudest), "loudest filter \(loudest)")
    }
}
