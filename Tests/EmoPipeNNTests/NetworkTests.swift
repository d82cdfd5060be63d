import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeNN

/// The network runtime against onnxruntime on a tiny random network that uses every operation
/// (scripts/reference/network_ops_reference.py), and its handling of broken weight files.
@Suite struct NetworkTests {
    static let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference")
    static var opsFolder: String { reference.appendingPathComponent("ops").path }

    struct Case: Decodable {
        var image: [Float]
        var probabilities: [Float]
    }

    struct Outputs: Decodable { var cases: [Case] }

    @Test func everyOperationMatchesOnnxruntime() throws {
        let network = try Network.load(folder: Self.opsFolder)
        #expect(network.inputShape == Network.Shape(channels: 2, height: 15, width: 14))
        let data = try Data(contentsOf: Self.reference.appendingPathComponent("ops-outputs.json"))
        let outputs = try JSONDecoder().decode(Outputs.self, from: data)
        #expect(outputs.cases.count == 3)
        for test in outputs.cases {
            let got = network.predict(test.image)
            #expect(got.count == 3)
            for (a, b) in zip(got, test.probabilities) { #expect(abs(a - b) < 1e-5, "\(got) against \(test.probabilities)") }
        }
        // A copy computes the same, and repeated calls do not accumulate.
        let copy = network.copy()
        #expect(copy.predict(outputs.cases[0].image) == network.predict(outputs.cases[0].image))
    }

    @Test func tensorFlowSamePaddingPutsTheOddPixelLast() {
        let padding = NetworkDescription.Padding.same
        let even = padding.amounts(height: 30, width: 30, kernel: (3, 3), stride: (2, 2))
        #expect(even.top == 0 && even.bottom == 1 && even.left == 0 && even.right == 1)
        let odd = padding.amounts(height: 15, width: 15, kernel: (3, 3), stride: (2, 2))
        #expect(odd.top == 1 && odd.bottom == 1)
        let pointwise = padding.amounts(height: 15, width: 15, kernel: (1, 1), stride: (2, 2))
        #expect(pointwise.top == 0 && pointwise.bottom == 0)
    }

    /// A copy of the ops network in a temporary folder, its weight file replaced by `weights`.
    func brokenCopy(weights: (Data) -> Data) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-nn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.opsFolder + "/graph.json", toPath: folder.path + "/graph.json")
        let original = try Data(contentsOf: URL(fileURLWithPath: Self.opsFolder + "/weights.safetensors"))
        try weights(original).write(to: folder.appendingPathComponent("weights.safetensors"))
        return folder.path
    }

    func error(loading folder: String) -> String {
        do {
            _ = try Network.load(folder: folder)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func brokenWeightFilesNameTheFileAndTensor() throws {
        let truncated = try brokenCopy { $0.prefix($0.count - 100) }
        #expect(error(loading: truncated).contains("weights.safetensors: tensor"))
        #expect(error(loading: truncated).contains("truncated"))

        let empty = try brokenCopy { _ in Data() }
        #expect(error(loading: empty).contains("weights.safetensors: not a safetensors file"))

        let garbage = try brokenCopy { _ in Data(repeating: 0xFF, count: 64) }
        #expect(error(loading: garbage).contains("weights.safetensors: truncated or not a safetensors file"))

        // Renaming a tensor in the header: the graph's tensor is missing.
        let renamed = try brokenCopy { data in
            var bytes = [UInt8](data)
            let header = String(decoding: bytes[8..<200], as: UTF8.self)
            let offset = header.range(of: "\"c2.w\"")!.lowerBound.utf16Offset(in: header) + 8
            bytes[offset + 2] = UInt8(ascii: "x")
            return Data(bytes)
        }
        #expect(error(loading: renamed).contains("tensor 'c2.w' (layer c2) is missing"))

        let missingFolder = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-nn-none").path
        #expect(error(loading: missingFolder).contains("graph.json: network graph file: no such file"))

        let noWeights = try brokenCopy { $0 }
        try FileManager.default.removeItem(atPath: noWeights + "/weights.safetensors")
        #expect(error(loading: noWeights).contains("weights.safetensors: weight file: no such file"))
    }

    /// Weights and graphs a hostile or broken conversion writes are refused at load with the
    /// file and the reason, never run into a confident answer, a trap or a huge allocation.
    @Test func absurdWeightsAndGraphsAreRefusedAtLoad() throws {
        func body(_ data: Data, fill: UInt32) -> Data {
            var bytes = [UInt8](data)
            var length = 0
            for index in 0..<8 { length |= Int(bytes[index]) << (8 * index) }
            for offset in stride(from: 8 + length, to: bytes.count - 3, by: 4) {
                for byte in 0..<4 { bytes[offset + byte] = UInt8((fill >> (8 * UInt32(byte))) & 0xFF) }
            }
            return Data(bytes)
        }
        let nan = try brokenCopy { body($0, fill: Float.nan.bitPattern) }
        #expect(error(loading: nan).contains("weights must be finite and within ±100000"), "\(error(loading: nan))")
        let huge = try brokenCopy { body($0, fill: Float(3e38).bitPattern) }
        #expect(error(loading: huge).contains("holds 3e+38 at index 0"), "\(error(loading: huge))")
        func graph(_ edit: (String) -> String) throws -> String {
            let folder = try brokenCopy { $0 }
            let text = try String(contentsOfFile: folder + "/graph.json", encoding: .utf8)
            try edit(text).write(toFile: folder + "/graph.json", atomically: true, encoding: .utf8)
            return folder
        }
        let twice = try graph { $0.replacingOccurrences(of: "\"c\"\n ]", with: "\"a\"\n ]") }
        #expect(error(loading: twice).contains("classes [\"a\", \"b\", \"a\"] must be named, each once"), "\(error(loading: twice))")
        let wide = try graph { $0.replacingOccurrences(of: "\"height\": 15", with: "\"height\": 200000") }
        #expect(error(loading: wide).contains("height and width 1...4096"))
        let padded = try graph { $0.replacingOccurrences(of: "\"padding\": \"valid\"", with: "\"padding\": [100000, 100000, 100000, 100000]") }
        #expect(error(loading: padded).contains("padding") && !error(loading: padded).contains("no error"), "\(error(loading: padded))")
    }

    @Test func aGraphWhoseShapesDisagreeWithTheWeightsIsRefused() throws {
        let folder = try brokenCopy { $0 }
        var text = try String(contentsOfFile: folder + "/graph.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"channels\": 2", with: "\"channels\": 3")
        try text.write(toFile: folder + "/graph.json", atomically: true, encoding: .utf8)
        #expect(error(loading: folder).contains("tensor 'c1.w' (layer c1) has shape [4, 2, 3, 3], the graph needs [4, 3, 3, 3]"))

        var unknown = try String(contentsOfFile: Self.opsFolder + "/graph.json", encoding: .utf8)
        unknown = unknown.replacingOccurrences(of: "\"op\": \"softmax\"", with: "\"op\": \"gelu\"")
        try unknown.write(toFile: folder + "/graph.json", atomically: true, encoding: .utf8)
        #expect(error(loading: folder).contains("layer probabilities: operation 'gelu'"))

        try "{\"format\": \"emopipe-network/1\"}".write(toFile: folder + "/graph.json", atomically: true, encoding: .utf8)
        #expect(error(loading: folder).contains("graph.json: not a network graph (missing field 'name')"))
    }
}
