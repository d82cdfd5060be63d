import ArgumentParser
import EmoPipeCore
import EmoPipeNN
import Foundation

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Describes a network (graph.json + weights.safetensors, or a recurrent encoder's encoder.json): layers, shapes, size; optionally times its forward pass.",
        discussion: """
        NETWORK is a folder, or a name in the models folder (face-expression, voice-encoder). With \
        --time N the network runs N forward passes on one thread (after 20 to warm up) on seeded \
        random input and prints passes per second; a recurrent encoder's pass is one block of \
        --frames frames, its state carried on (Benchmarks/expression.sh compares both with \
        onnxruntime).
        """)

    @Argument(help: "A network folder or a model name (face-expression, voice-encoder).")
    var network: String = "face-expression"

    @Option(help: "Time this many forward passes.")
    var time: Int?

    @Option(help: "Frames per pass of a recurrent encoder (audio.encoder's block_frames).")
    var frames: Int = 50

    /// Seeded values in [offset, offset + 2) (the same sequence on every call).
    private func randomValues(_ count: Int, offset: Float = -1) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 + offset
        }
    }

    private func timed(_ passes: Int, _ body: () -> Void) {
        for _ in 0..<20 { body() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<passes { body() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "%d passes in %.3f s: %.1f passes/s (%.3f ms each)", passes, seconds, Double(passes) / seconds, 1000 * seconds / Double(passes)))
    }

    private func describeEncoder(_ folder: String) throws {
        let encoder: RecurrentEncoder
        do {
            encoder = try RecurrentEncoder(folder: folder)
        } catch let error as NetworkError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(1)
        }
        let description = encoder.description
        print("recurrent encoder: \(folder)")
        print("input \(description.inputs) values per frame, \(description.layers) LSTM layers of \(description.hidden)")
        guard let time, time > 0 else { return }
        let frames = max(1, frames)
        let block = (0..<frames).map { index in randomValues(description.inputs, offset: Float(index % 7) / 7 - 1) }
        print("pass: one block of \(frames) frames")
        timed(time) { _ = encoder.run(block) }
    }

    func run() throws {
        let folder: String
        do {
            folder = try ModelStore.models.resolve(network).path
        } catch let error as ModelStoreError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
        if FileManager.default.fileExists(atPath: folder + "/encoder.json") { return try describeEncoder(folder) }
        let loaded: Network
        do {
            loaded = try Network.load(folder: folder)
        } catch let error as NetworkError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(1)
        }
        print("\(loaded.graph.name): \(folder)")
        print("input \(loaded.inputShape), classes \(loaded.classes.joined(separator: ", "))")
        print("\(loaded.parameterCount) parameters, \(loaded.multiplyAdds) multiply-adds per pass")
        for layer in loaded.layers {
            print("  \(layer.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(layer.op.padding(toLength: 20, withPad: " ", startingAt: 0)) \(layer.output)")
        }
        guard let time, time > 0 else { return }
        let input = randomValues(loaded.inputShape.count)
        timed(time) { _ = loaded.predict(input) }
    }
}
