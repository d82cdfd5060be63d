import EmoPipeCore
import Foundation

/// A small feed-forward network run natively: float32, one image at a time, the layers of its
/// graph file in order (`NetworkDescription`), compiled at load into oneDNN primitives
/// (`OneDNNProgram`: JIT convolutions in blocked layouts, fused bias and activation) that run on
/// the caller's thread.
///
/// Loading checks every tensor against the shapes the graph implies, so a wrong, truncated or
/// mismatched weight file fails at load with a message naming the file and the tensor, never
/// during a run. A `Network` keeps its intermediate buffers between calls: use one per thread
/// (`copy()` gives another sharing nothing mutable).
public final class Network {
    /// A tensor's shape: channels x height x width (a vector is channels x 1 x 1).
    public struct Shape: Sendable, Equatable, CustomStringConvertible {
        public var channels: Int
        public var height: Int
        public var width: Int
        public var count: Int { channels * height * width }
        public var description: String { "\(channels)x\(height)x\(width)" }
    }

    /// The graph as read.
    public let graph: NetworkDescription
    /// Where it was read from (for messages and provenance).
    public let source: String
    /// Shape of the input the network takes.
    public let inputShape: Shape
    /// Class names of the output, in order.
    public var classes: [String] { graph.classes }
    /// Each layer's name, operation and output shape, in order.
    public var layers: [(name: String, op: String, output: Shape)] {
        zip(graph.layers, steps).map { ($0.name, $0.op, $1.outputShape) }
    }
    /// Weights and biases in the network (batch norm folded).
    public var parameterCount: Int { steps.map(\.parameterCount).reduce(0, +) }
    /// Multiply-adds of one forward pass.
    public var multiplyAdds: Int { steps.map(\.multiplyAdds).reduce(0, +) }

    private let steps: [NetworkStep]
    private let program: OneDNNProgram
    private let execution: OneDNNExecution
    private var output: [Float]

    /// The most values one layer's output may hold: 64 Mi floats
    /// (256 MiB); a graph that needs more is refused at load, not allocated.
    public static let largestValue = 1 << 26

    /// Reads `folder/graph.json` and `folder/weights.safetensors`.
    public static func load(folder: String) throws -> Network {
        let graphPath = folder + "/graph.json"
        let data: Data
        do {
            data = try FileContents.load(graphPath, maximumBytes: 64 << 20)
        } catch let failure as FileContents.Failure {
            throw NetworkError("\(graphPath): network graph file: \(failure)")
        }
        let graph: NetworkDescription
        do {
            graph = try JSONDecoder().decode(NetworkDescription.self, from: data)
        } catch {
            throw NetworkError("\(graphPath): not a network graph (\(JSONErrorText.describe(error, in: data)))")
        }
        guard graph.format == "emopipe-network/1" else {
            throw NetworkError("\(graphPath): format '\(graph.format)' is not emopipe-network/1")
        }
        let weights = try SafeTensors(path: folder + "/weights.safetensors")
        return try Network(graph: graph, weights: weights, source: folder)
    }

    /// Compiles `graph` with `weights`: shapes inferred from the input, every tensor checked.
    public init(graph: NetworkDescription, weights: SafeTensors, source: String) throws {
        self.graph = graph
        self.source = source
        inputShape = Shape(channels: graph.input.channels, height: graph.input.height, width: graph.input.width)
        guard (1...64).contains(graph.input.channels), (1...4096).contains(graph.input.height), (1...4096).contains(graph.input.width) else {
            throw NetworkError("\(source): input \(inputShape): channels must be 1...64, height and width 1...4096")
        }
        guard !graph.classes.isEmpty, Set(graph.classes).count == graph.classes.count else {
            throw NetworkError("\(source): classes \(graph.classes) must be named, each once")
        }
        var index = [graph.input.name: 0]
        var shapes = [inputShape]
        var steps: [NetworkStep] = []
        for layer in graph.layers {
            guard index[layer.name] == nil else { throw NetworkError("\(source): layer name '\(layer.name)' is used twice") }
            let sources = try (layer.inputs ?? layer.input.map { [$0] } ?? []).map { name -> Int in
                guard let found = index[name] else {
                    throw NetworkError("\(source): layer \(layer.name) reads '\(name)', which no earlier layer produces")
                }
                return found
            }
            guard !sources.isEmpty else { throw NetworkError("\(source): layer \(layer.name) has no input") }
            let step = try NetworkStep(layer: layer, inputs: sources, shapes: sources.map { shapes[$0] },
                                       output: shapes.count, weights: weights)
            guard step.outputShape.count <= Self.largestValue else {
                throw NetworkError("\(source): layer \(layer.name) needs \(step.outputShape.count) values, more than \(Self.largestValue)")
            }
            index[layer.name] = shapes.count
            shapes.append(step.outputShape)
            steps.append(step)
        }
        guard let output = index[graph.output] else { throw NetworkError("\(source): output '\(graph.output)' is not a layer") }
        guard shapes[output].count == graph.classes.count else {
            throw NetworkError("\(source): output '\(graph.output)' has \(shapes[output].count) values for \(graph.classes.count) classes")
        }
        let total = shapes.map { ($0.count + 15) / 16 * 16 }.reduce(0, +)
        guard total <= 4 * Self.largestValue else {
            throw NetworkError("\(source): the network's values need \(total) floats, more than \(4 * Self.largestValue)")
        }
        self.steps = steps
        program = try OneDNNProgram(steps: steps, input: inputShape, output: output, source: source)
        execution = try OneDNNExecution(program)
        self.output = [Float](repeating: 0, count: program.outputCount)
    }

    private init(copying other: Network) throws {
        graph = other.graph
        source = other.source
        inputShape = other.inputShape
        steps = other.steps
        program = other.program
        execution = try OneDNNExecution(other.program)
        output = other.output
    }

    /// An independent instance (same weights, own buffers) for another thread.
    public func copy() -> Network {
        do {
            return try Network(copying: self)
        } catch {
            fatalError("\(source): a copy of a loaded network could not allocate its buffers: \(error)")
        }
    }

    /// The output for one input (`inputShape.count` values, channels first, rows top to bottom).
    public func predict(_ input: [Float]) -> [Float] {
        precondition(input.count == inputShape.count, "input of \(input.count) values, the network takes \(inputShape)")
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { execution.run(x.baseAddress!, into: $0.baseAddress!) }
        }
        return output
    }
}

// The weights are immutable after load and `copy()` only reads them: a loaded network may be
// kept (a cache) and copied from any thread; `predict` on one instance from one thread at a time.
extension Network: @unchecked Sendable {}

/// A decoding error in a few words.
