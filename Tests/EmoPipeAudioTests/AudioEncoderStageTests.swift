@testable import EmoPipeAudio
import EmoPipeCore
import EmoPipeNN
import Foundation
import Testing

/// `audio.encoder` against the encoder itself: dB in, power scaled to the level, the stack run in
/// blocks with its state carried over.
@Suite struct AudioEncoderStageTests {
    /// 25 frames of 40 positive mel powers (deterministic).
    static let frames: [[Float]] = (0..<25).map { t in (0..<40).map { k in 0.002 + 0.01 * Float((t * 7 + k * 3) % 11) / 11 } }

    func run(_ parameters: [String: ParameterValue], frames: [[Float]]) throws -> [Packet] {
        let harness = try StageHarness(AudioEncoderStage.descriptor, parameters: parameters,
                                       inputs: [.features(FeatureSchema((0..<40).map { "logmel_\($0)" }))])
        for (index, frame) in frames.enumerated() {
            _ = try harness.push(Packet(timestamp: Timestamp(microseconds: Int64(index) * 10_000), duration: Timestamp(microseconds: 10_000),
                                        payload: .features(FeatureRow(frame.map { 10 * log10($0) }))))
        }
        try harness.finish()
        return harness.emitted(on: 0)
    }

    @Test func blocksAtTheirLevelAreTheEncodersOutputs() throws {
        let encoder = try RecurrentEncoder(folder: ModelStore.models.locate("voice-encoder")!.path)
        encoder.activeLayers = 2
        // One block: the level is the frames' own mean summed power, so the gain is 1.
        let level = Self.frames.map { $0.reduce(0, +) }.reduce(0, +) / Float(Self.frames.count)
        let packets = try run(["level": .number(Double(level)), "block_frames": .integer(100)], frames: Self.frames)
        let expected = encoder.run(Self.frames)
        #expect(packets.map(\.timestamp.microseconds) == (0..<25).map { Int64($0) * 10_000 })
        for (packet, row) in zip(packets, expected) {
            guard case .features(let values) = packet.payload else { Issue.record("not features"); continue }
            #expect(values.values.count == 256)
            #expect(zip(values.values, row).map { abs($0 - $1) }.max()! < 1e-4)
        }
        // Blocks of 10: the first block's gain comes from its own 10 frames, the next from 20, then 25.
        encoder.reset()
        var scaled: [[Float]] = []
        for end in [10, 20, 25] {
            let seen = Self.frames[..<end].map { $0.reduce(0, +) }.reduce(0, +) / Float(end)
            scaled += Self.frames[(end == 10 ? 0 : (end == 20 ? 10 : 20))..<end].map { $0.map { $0 * level / seen } }
        }
        let blocked = try run(["level": .number(Double(level)), "block_frames": .integer(10)], frames: Self.frames)
        for (packet, row) in zip(blocked, encoder.run(scaled)) {
            guard case .features(let values) = packet.payload else { Issue.record("not features"); continue }
            #expect(zip(values.values, row).map { abs($0 - $1) }.max()! < 1e-4)
        }
    }

    @Test func otherInputsAndLayerCountsAreRefused() throws {
        do {
            _ = try StageHarness(AudioEncoderStage.descriptor, parameters: [:], inputs: [.features(FeatureSchema((0..<26).map { "logmel_\($0)" }))])
            Issue.record("26 bands were accepted")
        } catch let error as StageError {
            #expect("\(error)".contains("takes 40 mel bands") && "\(error)".contains("26 columns"), "\(error)")
        }
        #expect(throws: StageError.self) {
            _ = try StageHarness(AudioEncoderStage.descriptor, parameters: ["layers": .integer(4)],
                                 inputs: [.features(FeatureSchema((0..<40).map { "logmel_\($0)" }))])
        }
        #expect(throws: StageError.self) {
            _ = try StageHarness(AudioEncoderStage.descriptor, parameters: ["network": .string("no-such-encoder")],
                                 inputs: [.features(FeatureSchema((0..<40).map { "logmel_\($0)" }))])
        }
    }
}
