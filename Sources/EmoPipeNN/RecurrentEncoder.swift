import EmoPipeCore
import Foundation

/// A stack of LSTM layers (PyTorch's `nn.LSTM`: gates in the order input, forget, cell, output;
/// `c = f*c + i*g`, `h = o*tanh(c)`) run forward over a sequence of frames, keeping its state
/// between calls, so a stream can be fed block by block. Each block runs layer by layer: the
/// input projections of all its frames in one matrix product, then the recurrence frame by frame
/// (one matrix-vector product per frame and layer, the recurrent weights staying in cache).
///
/// Weights come from `weights.safetensors` in a folder with `encoder.json`
/// (`{"format": "emopipe-recurrent/1", "inputs": 40, "hidden": 256, "layers": 3, ...}`), tensors
/// `weight_ih_l{k}` (4H x inputs), `weight_hh_l{k}` (4H x H), `bias_ih_l{k}`, `bias_hh_l{k}` (4H),
/// as PyTorch names them. One instance runs one stream (its state is mutable); `copy()` gives
/// another stream its own, sharing the weights.
public final class RecurrentEncoder: @unchecked Sendable {
    /// The description in `encoder.json`.
    public struct Description: Codable, Sendable {
        public var format: String
        public var inputs: Int
        public var hidden: Int
        public var layers: Int
        /// What the input frames must be (for the stage that feeds it).
        public var input: String?
        /// Where the weights came from, their licence, and what was checked.
        public var provenance: [String: String]?
    }

    public let description: Description
    /// How many of the stack's layers run (the first ones); the outputs are the last of them.
    public var activeLayers: Int {
        didSet { activeLayers = min(max(activeLayers, 1), description.layers) }
    }
    private var inputWeights: [[Float]] = []
    private var recurrentWeights: [[Float]] = []
    private var biases: [[Float]] = []
    private var hidden: [[Float]] = []
    private var cell: [[Float]] = []

    /// Reads `encoder.json` and `weights.safetensors` from `folder`; a broken or inconsistent file
    /// is an error naming it.
    public init(folder: String) throws {
        let path = folder + "/encoder.json"
        let data: Data
        do {
            data = try FileContents.load(path, maximumBytes: 64 << 20)
        } catch {
            throw NetworkError("\(path): cannot be read: \(error)")
        }
        do {
            description = try JSONDecoder().decode(Description.self, from: data)
        } catch {
            throw NetworkError("\(path): not an encoder description (\(JSONErrorText.describe(error, in: data)))")
        }
        guard description.format == "emopipe-recurrent/1" else {
            throw NetworkError("\(path): format '\(description.format)' is not emopipe-recurrent/1")
        }
        guard (1...4096).contains(description.inputs), (1...4096).contains(description.hidden), (1...16).contains(description.layers) else {
            throw NetworkError("\(path): inputs and hidden must be 1...4096, layers 1...16")
        }
        activeLayers = description.layers
        let weights = try SafeTensors(path: folder + "/weights.safetensors")
        let gates = 4 * description.hidden
        for layer in 0..<description.layers {
            let width = layer == 0 ? description.inputs : description.hidden
            let name = "lstm layer \(layer)"
            inputWeights.append(try weights.tensor("weight_ih_l\(layer)", shape: [gates, width], layer: name))
            recurrentWeights.append(try weights.tensor("weight_hh_l\(layer)", shape: [gates, description.hidden], layer: name))
            let bias = try weights.tensor("bias_ih_l\(layer)", shape: [gates], layer: name)
            biases.append(zip(bias, try weights.tensor("bias_hh_l\(layer)", shape: [gates], layer: name)).map(+))
        }
        reset()
    }

    private init(copying other: RecurrentEncoder) {
        description = other.description
        activeLayers = other.activeLayers
        inputWeights = other.inputWeights
        recurrentWeights = other.recurrentWeights
        biases = other.biases
        hidden = other.hidden
        cell = other.cell
    }

    /// A copy with the same weights (shared, copy-on-write) and its own state, at zero.
    public func copy() -> RecurrentEncoder {
        let copy = RecurrentEncoder(copying: self)
        copy.reset()
        return copy
    }

        /// Back to the zero state (a new sequence).
    public func reset() {
        hidden = [[Float]](repeating: [Float](repeating: 0, count: description.hidden), count: description.layers)
        cell = hidden
    }

    /// Runs `frames` (each `inputs` wide) through the stack, continuing from the current state;
    /// returns the last active layer's output for every frame (each `hidden` wide), or every
    /// active layer's outputs side by side with `allLayers`.
    public func run(_ frames: [[Float]], allLayers: Bool = false) -> [[Float]] {
        prepareBLAS()
        let count = frames.count, size = description.hidden, gates = 4 * size
        guard count > 0 else { return [] }
        var input = frames.flatMap { $0 }
        var width = description.inputs
        var outputs = [[Float]](repeating: [], count: count)
        var projected = [Float](repeating: 0, count: count * gates)
        for layer in 0..<activeLayers {
            // All frames' input projections: (count x width) (width x gates)^T, plus the biases.
            for frame in 0..<count { projected.replaceSubrange(frame * gates..<(frame + 1) * gates, with: biases[layer]) }
            input.withUnsafeBufferPointer { x in
                inputWeights[layer].withUnsafeBufferPointer { w in
                    projected.withUnsafeMutableBufferPointer { y in
                        matrixMultiplyTransposed(x.baseAddress!, w.baseAddress!, y.baseAddress!, m: count, n: gates, k: width, accumulate: true)
                    }
                }
            }
            var layerOutput = [Float](repeating: 0, count: count * size)
            var h = hidden[layer], c = cell[layer]
            recurrentWeights[layer].withUnsafeBufferPointer { w in
                projected.withUnsafeMutableBufferPointer { all in
                    for frame in 0..<count {
                        let z = all.baseAddress! + frame * gates
                        h.withUnsafeBufferPointer { matrixVector(w.baseAddress!, $0.baseAddress!, z, m: gates, n: size, accumulate: true) }
                        // Gates in place: sigmoid(x) = (1 + tanh(x/2)) / 2, in loops the compiler vectorises.
                        for j in 0..<(2 * size) { z[j] = 0.5 + 0.5 * fastTanh(0.5 * z[j]) }
                        for j in (2 * size)..<(3 * size) { z[j] = fastTanh(z[j]) }
                        for j in (3 * size)..<gates { z[j] = 0.5 + 0.5 * fastTanh(0.5 * z[j]) }
                        for j in 0..<size {
                            c[j] = z[size + j] * c[j] + z[j] * z[2 * size + j]
                            h[j] = z[3 * size + j] * fastTanh(c[j])
                        }
                        layerOutput.replaceSubrange(frame * size..<(frame + 1) * size, with: h)
                    }
                }
            }
            hidden[layer] = h
            cell[layer] = c
            for frame in 0..<count {
                let slice = layerOutput[frame * size..<(frame + 1) * size]
                if allLayers || layer == activeLayers - 1 { outputs[frame] += slice }
            }
            input = layerOutput
            width = size
        }
        return outputs
    }

}

/// tanh in float32 as Eigen computes it (a 13/6 rational minimax fit on [-7.9, 7.9], within a
/// few ulp of tanhf): branch-free, so a loop over it vectorises.
@inline(__always)
func fastTanh(_ value: Float) -> Float {
    let x = min(max(value, -7.90531110763549805), 7.90531110763549805)
    let x2 = x * x
    var p: Float = -2.76076847742355e-16
    p = x2 * p + 2.00018790482477e-13
    p = x2 * p - 8.60467152213735e-11
    p = x2 * p + 5.12229709037114e-08
    p = x2 * p + 1.48572235717979e-05
    p = x2 * p + 6.37261928875436e-04
    p = x2 * p + 4.89352455891786e-03
    var q: Float = 1.19825839466702e-06
    q = x2 * q + 1.18534705686654e-04
    q = x2 * q + 2.26843463243900e-03
    q = x2 * q + 4.89352518554385e-03
    return x * p / q
}
