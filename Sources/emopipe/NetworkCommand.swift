import ArgumentParser
import EmoPipeCore
import EmoPipeNN
import Foundation

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Describes a network (graph.json + weights.safetensors): layers, shapes, size, provenance; optionally times its forward pass.",
        discussion: """
        NETWORK is a folder, or a name in the models folder (e.g. face-expression). With --time N the \
        network runs N forward passes on one thread (after 20 to warm up) on seeded random input and \
        prints passes per second (Benchmarks/expression.sh compares this with onnxruntime).
        """)

    @Argument(help: "A network folder or a model name (face-expression).")
    var network: String = "face-expression"

    @Option(help: "Time this many forward passes.")
    var time: Int?

    func run() throws {
        let folder: String
        do {
            folder = try ModelStore.models.resolve(network).path
        } catch let error as ModelStoreError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
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
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let input = (0..<loaded.inputShape.count).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        for _ in 0..<20 { _ = loaded.predict(input) }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<time { _ = loaded.predict(input) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "%d passes in %.3f s: %.1f passes/s (%.3f ms each)", time, seconds, Double(time) / seconds, 1000 * seconds / Double(time)))
    }
}
