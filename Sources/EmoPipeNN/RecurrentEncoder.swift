import CDNNL
import EmoPipeCore
import Foundation

/// A stack of LSTM layers (PyTorch's `nn.LSTM`: gates in the order input, forget, cell, output;
/// `c = f*c + i*g`, `h = o*tanh(c)`) run forward over a sequence of frames, keeping its state
/// between calls, so a stream can be fed block by block. Each block runs layer by layer through
/// oneDNN's LSTM primitive (its input projections for all frames in one product, then the
/// recurrence), on the caller's thread; a primitive is made once per block length and kept.
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
    /// The weights in oneDNN's layout, shared by copies.
    private let weights: Weights
    /// Per layer: hidden and cell state (library memories, `hidden` floats each).
    private var hidden: [dnnl_memory_t] = []
    private var cell: [dnnl_memory_t] = []
    /// Per block length: each layer's primitive, its scratchpad and the state it writes.
    private var programs: [Int: [LayerRun]] = [:]
    private let stream: dnnl_stream_t

    /// One layer's weights, reordered once from PyTorch's layout.
    private final class Weights: @unchecked Sendable {
        let layer: [dnnl_memory_t]
        let recurrent: [dnnl_memory_t]
        let bias: [dnnl_memory_t]
        init(layer: [dnnl_memory_t], recurrent: [dnnl_memory_t], bias: [dnnl_memory_t]) {
            self.layer = layer
            self.recurrent = recurrent
            self.bias = bias
        }
        deinit { for memory in layer + recurrent + bias { dnnl_memory_destroy(memory) } }
    }

    private struct LayerRun {
        let primitive: dnnl_primitive_t
        let source: dnnl_memory_t
        let destination: dnnl_memory_t
        let nextHidden: dnnl_memory_t
        let nextCell: dnnl_memory_t
        let scratchpad: dnnl_memory_t?
    }

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
        let tensors = try SafeTensors(path: folder + "/weights.safetensors")
        let size = description.hidden, gates = 4 * size
        var layer: [dnnl_memory_t] = [], recurrent: [dnnl_memory_t] = [], bias: [dnnl_memory_t] = []
        OneDNN.stayOnThisThread()
        do {
            for index in 0..<description.layers {
                let width = index == 0 ? description.inputs : size
                let name = "lstm layer \(index)"
                let inputWeights = try tensors.tensor("weight_ih_l\(index)", shape: [gates, width], layer: name)
                let recurrentWeights = try tensors.tensor("weight_hh_l\(index)", shape: [gates, size], layer: name)
                let inputBias = try tensors.tensor("bias_ih_l\(index)", shape: [gates], layer: name)
                let summedBias = zip(inputBias, try tensors.tensor("bias_hh_l\(index)", shape: [gates], layer: name)).map(+)
                // PyTorch's [4H, in] is oneDNN's (layers, directions, in, gates, H) laid out ldgoi;
                // the primitive reads ldigo. Gates in both: input, forget, cell, output.
                layer.append(try OneDNN.constant(inputWeights, plain: OneDNN.descriptor([1, 1, width, 4, size], dnnl_ldgoi),
                                                 wanted: OneDNN.descriptor([1, 1, width, 4, size], dnnl_ldigo)))
                recurrent.append(try OneDNN.constant(recurrentWeights, plain: OneDNN.descriptor([1, 1, size, 4, size], dnnl_ldgoi),
                                                     wanted: OneDNN.descriptor([1, 1, size, 4, size], dnnl_ldigo)))
                let biasLayout = try OneDNN.descriptor([1, 1, 4, size], dnnl_ldgo)
                bias.append(try OneDNN.constant(summedBias, plain: biasLayout, wanted: biasLayout))
            }
        } catch let error as NetworkError {
            for memory in layer + recurrent + bias { dnnl_memory_destroy(memory) }
            throw NetworkError("\(folder): \(error.description)")
        }
        weights = Weights(layer: layer, recurrent: recurrent, bias: bias)
        stream = try OneDNN.newStream()
        try makeState()
    }

    private init(copying other: RecurrentEncoder) throws {
        description = other.description
        activeLayers = other.activeLayers
        weights = other.weights
        stream = try OneDNN.newStream()
        try makeState()
    }

    deinit {
        for memory in hidden + cell { dnnl_memory_destroy(memory) }
        for runs in programs.values { release(runs) }
        dnnl_stream_destroy(stream)
    }

    private func release(_ runs: [LayerRun]) {
        for run in runs {
            dnnl_primitive_destroy(run.primitive)
            for memory in [run.source, run.destination, run.nextHidden, run.nextCell] { dnnl_memory_destroy(memory) }
            if let scratchpad = run.scratchpad { dnnl_memory_destroy(scratchpad) }
        }
    }

    private func makeState() throws {
        let state = try OneDNN.descriptor([1, 1, 1, description.hidden], dnnl_ldnc)
        for _ in 0..<description.layers {
            hidden.append(try OneDNN.memory(state))
            cell.append(try OneDNN.memory(state))
        }
    }

    /// A copy with the same weights (shared) and its own state, at zero.
    public func copy() -> RecurrentEncoder {
        do {
            return try RecurrentEncoder(copying: self)
        } catch {
            fatalError("a copy of a loaded encoder could not allocate its state: \(error)")
        }
    }

    /// Back to the zero state (a new sequence).
    public func reset() {
        let bytes = description.hidden * MemoryLayout<Float>.size
        for memory in hidden + cell {
            var handle: UnsafeMutableRawPointer?
            dnnl_memory_get_data_handle(memory, &handle)
            if let handle { memset(handle, 0, bytes) }
        }
    }

    /// The active layers' LSTM primitives for blocks of `count` frames (made on first use, kept;
    /// at most 16 block lengths are kept; layers that do not run are not made).
    private func layerRuns(frames count: Int) throws -> [LayerRun] {
        if let runs = programs[count] {
            if runs.count >= activeLayers { return runs }
            release(runs)
            programs[count] = nil
        }
        if programs.count >= 16 {
            for runs in programs.values { release(runs) }
            programs = [:]
        }
        let size = description.hidden
        var runs: [LayerRun] = []
        for index in 0..<activeLayers {
            let width = index == 0 ? description.inputs : size
            var source = try OneDNN.descriptor([count, 1, width], dnnl_tnc)
            var state = try OneDNN.descriptor([1, 1, 1, size], dnnl_ldnc)
            var layerWeights = try OneDNN.descriptor([1, 1, width, 4, size], dnnl_ldigo)
            var recurrentWeights = try OneDNN.descriptor([1, 1, size, 4, size], dnnl_ldigo)
            var bias = try OneDNN.descriptor([1, 1, 4, size], dnnl_ldgo)
            var destination = try OneDNN.descriptor([count, 1, size], dnnl_tnc)
            var operation = dnnl_rnn_desc_t()
            try OneDNN.check(dnnl_lstm_forward_desc_init(&operation, dnnl_forward_inference, dnnl_unidirectional_left2right,
                                                          &source, &state, &state, &layerWeights, &recurrentWeights, &bias,
                                                          &destination, &state, &state, 0), "describe LSTM layer \(index)")
            var attributes: dnnl_primitive_attr_t?
            try OneDNN.check(dnnl_primitive_attr_create(&attributes), "create primitive attributes")
            defer { dnnl_primitive_attr_destroy(attributes) }
            dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user)
            let descriptor = try OneDNN.primitiveDescriptor(&operation, attributes: attributes, what: "set up LSTM layer \(index)")
            defer { dnnl_primitive_desc_destroy(descriptor) }
            var scratchpadLayout = OneDNN.query(descriptor, dnnl_query_scratchpad_md)
            runs.append(LayerRun(
                primitive: try OneDNN.primitive(descriptor, what: "LSTM layer \(index)"),
                source: try OneDNN.memory(source), destination: try OneDNN.memory(destination),
                nextHidden: try OneDNN.memory(state), nextCell: try OneDNN.memory(state),
                scratchpad: dnnl_memory_desc_get_size(&scratchpadLayout) > 0 ? try OneDNN.memory(scratchpadLayout) : nil))
        }
        programs[count] = runs
        return runs
    }

    /// Runs `frames` (each `inputs` wide) through the stack, continuing from the current state;
    /// returns the last active layer's output for every frame (each `hidden` wide), or every
    /// active layer's outputs side by side with `allLayers`.
    public func run(_ frames: [[Float]], allLayers: Bool = false) -> [[Float]] {
        let count = frames.count, size = description.hidden
        guard count > 0 else { return [] }
        OneDNN.stayOnThisThread()
        let runs: [LayerRun]
        do {
            runs = try layerRuns(frames: count)
        } catch {
            fatalError("oneDNN refused an LSTM it accepted the shapes of at load: \(error)")
        }
        var outputs = [[Float]](repeating: [], count: count)
        func data(_ memory: dnnl_memory_t) -> UnsafeMutablePointer<Float> {
            var handle: UnsafeMutableRawPointer?
            dnnl_memory_get_data_handle(memory, &handle)
            return handle!.assumingMemoryBound(to: Float.self)
        }
        let input = data(runs[0].source)
        for (frame, values) in frames.enumerated() {
            precondition(values.count == description.inputs, "a frame of \(values.count) values, the encoder takes \(description.inputs)")
            (input + frame * description.inputs).update(from: values, count: values.count)
        }
        for layer in 0..<activeLayers {
            let run = runs[layer]
            if layer > 0 { data(run.source).update(from: data(runs[layer - 1].destination), count: count * size) }
            var arguments = [
                dnnl_exec_arg_t(arg: DNNL_ARG_SRC_LAYER, memory: run.source),
                dnnl_exec_arg_t(arg: DNNL_ARG_SRC_ITER, memory: hidden[layer]),
                dnnl_exec_arg_t(arg: DNNL_ARG_SRC_ITER_C, memory: cell[layer]),
                dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS_LAYER, memory: weights.layer[layer]),
                dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS_ITER, memory: weights.recurrent[layer]),
                dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: weights.bias[layer]),
                dnnl_exec_arg_t(arg: DNNL_ARG_DST_LAYER, memory: run.destination),
                dnnl_exec_arg_t(arg: DNNL_ARG_DST_ITER, memory: run.nextHidden),
                dnnl_exec_arg_t(arg: DNNL_ARG_DST_ITER_C, memory: run.nextCell),
            ]
            if let scratchpad = run.scratchpad { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad)) }
            let status = dnnl_primitive_execute(run.primitive, stream, Int32(arguments.count), arguments)
            precondition(status == dnnl_success, "oneDNN failed to run an LSTM layer (\(OneDNN.describe(status)))")
            dnnl_stream_wait(stream)
            data(hidden[layer]).update(from: data(run.nextHidden), count: size)
            data(cell[layer]).update(from: data(run.nextCell), count: size)
            if allLayers || layer == activeLayers - 1 {
                let y = data(run.destination)
                for frame in 0..<count { outputs[frame] += UnsafeBufferPointer(start: y + frame * size, count: size) }
            }
        }
        return outputs
    }
}

