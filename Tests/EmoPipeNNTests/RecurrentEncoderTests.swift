import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeNN

/// The shipped voice encoder (Models/voice-encoder) against PyTorch's `nn.LSTM` on 20 generated
/// frames (scripts/models/convert_voice_encoder.py --reference=...), run whole and as a stream.
@Suite struct RecurrentEncoderTests {
    struct Reference: Decodable {
        var frames: [[Float]]
        var outputs: [[Float]]
        var first12: [[Float]]
    }

    static var folder: String { ModelStore.models.locate("voice-encoder")!.path }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: NetworkTests.reference.appendingPathComponent("voice-encoder.json")))
    }

    static func largestDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? .infinity }.max() ?? .infinity
    }

    @Test func matchesPyTorchWholeAndInBlocks() throws {
        let reference = try Self.reference()
        let encoder = try RecurrentEncoder(folder: Self.folder)
        let whole = encoder.run(reference.frames)
        #expect(whole.count == 20 && whole[0].count == 256)
        #expect(Self.largestDifference(whole, reference.outputs) < 1e-5)
        // Block by block, the state carries over: the same outputs.
        encoder.reset()
        let first = encoder.run(Array(reference.frames[..<12]))
        #expect(Self.largestDifference(first, reference.first12) < 1e-5)
        let rest = encoder.run(Array(reference.frames[12...]))
        #expect(Self.largestDifference(first + rest, reference.outputs) < 1e-5)
        #expect(encoder.run([], allLayers: true).isEmpty)
    }

    @Test func aBrokenEncoderFolderIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("encoder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: NetworkError.self) { try RecurrentEncoder(folder: folder) }
        try Data(#"{"format": "emopipe-recurrent/1", "inputs": 40, "hidden": 256, "layers": 4}"#.utf8).write(to: URL(fileURLWithPath: folder + "/encoder.json"))
        try FileManager.default.copyItem(atPath: Self.folder + "/weights.safetensors", toPath: folder + "/weights.safetensors")
        do {
            _ = try RecurrentEncoder(folder: folder)
            Issue.record("a fourth layer the weights lack was accepted")
        } catch let error as NetworkError {
            #expect("\(error)".contains("weight_ih_l3") && "\(error)".contains(folder), "\(error)")
        }
    }
}
